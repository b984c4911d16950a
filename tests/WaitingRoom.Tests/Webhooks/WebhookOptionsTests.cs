using Microsoft.Extensions.Configuration;
using WaitingRoom.Configuration;
using Xunit;

namespace WaitingRoom.Tests.Webhooks;

/// <summary>WR_MAX_QUEUE, WR_WEBHOOK_URL, WR_WEBHOOK_SECRET and the rooms file's maxQueue and webhookUrl at start-up.</summary>
public sealed class WebhookOptionsTests
{
    private const string Secret = "a-webhook-secret-of-some-length";

    private static IConfiguration Configuration(params (string Name, string? Value)[] variables) =>
        new ConfigurationBuilder().AddInMemoryCollection(variables.ToDictionary(v => v.Name, v => v.Value)).Build();

    private static WaitingRoomConfigurationException ReadFails(params (string Name, string? Value)[] variables)
    {
        var configuration = Configuration(variables);
        return Assert.Throws<WaitingRoomConfigurationException>(() => WaitingRoomOptionsReader.Read(configuration));
    }

    [Theory]
    [InlineData("WR_MAX_QUEUE", "-1", "WR_MAX_QUEUE='-1' is not valid: expected a whole number from 0 to 1000000000.")]
    [InlineData("WR_MAX_QUEUE", "lots", "WR_MAX_QUEUE='lots' is not valid: expected a whole number from 0 to 1000000000.")]
    [InlineData("WR_WEBHOOK_URL", "hooks.example/in", "WR_WEBHOOK_URL='hooks.example/in' is not valid: expected an absolute http or https URL without credentials or fragment.")]
    [InlineData("WR_WEBHOOK_URL", "ftp://hooks.example/in", "WR_WEBHOOK_URL='ftp://hooks.example/in' is not valid: expected an absolute http or https URL without credentials or fragment.")]
    [InlineData("WR_WEBHOOK_URL", "https://user:pw@hooks.example/in", "WR_WEBHOOK_URL='https://(hidden)@hooks.example/in' is not valid: expected an absolute http or https URL without credentials or fragment.")]
    public void Read_BadValue_OneLineNamingTheVariable(string name, string value, string expected)
    {
        var error = ReadFails((name, value), ("WR_WEBHOOK_SECRET", Secret));

        Assert.Equal([expected], error.Errors);
    }

    [Fact]
    public void Read_WebhookUrlWithoutSecret_StopsStartNamingTheSecret()
    {
        var error = ReadFails(("WR_WEBHOOK_URL", "https://hooks.example/in"));

        Assert.Equal(["WR_WEBHOOK_URL is set but WR_WEBHOOK_SECRET is not: every webhook is signed (WR-Signature), so set WR_WEBHOOK_SECRET to a long random string."], error.Errors);
    }

    [Fact]
    public void Read_ShortSecret_StopsStartWithoutEchoingIt()
    {
        var error = ReadFails(("WR_WEBHOOK_URL", "https://hooks.example/in"), ("WR_WEBHOOK_SECRET", "short"));

        var line = Assert.Single(error.Errors);
        Assert.StartsWith("WR_WEBHOOK_SECRET='(hidden, 5 characters)' is not valid", line, StringComparison.Ordinal);
        Assert.DoesNotContain("short", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_CapUrlAndSecret_TheDefaultRoomHasThem()
    {
        var options = WaitingRoomOptionsReader.Read(Configuration(("WR_MAX_QUEUE", "5000"), ("WR_WEBHOOK_URL", "https://hooks.example/in?k=1"), ("WR_WEBHOOK_SECRET", Secret)));

        Assert.Equal(5000, options.DefaultRoom.MaxQueue);
        Assert.Equal(5000, options.DefaultRoom.PolicyAt(DateTimeOffset.UnixEpoch).MaxQueue);
        Assert.Equal(new Uri("https://hooks.example/in?k=1"), options.DefaultRoom.WebhookUrl);
        Assert.Equal(Secret, options.WebhookSecret);
    }

    [Fact]
    public void Read_NoVariables_NoCapAndNoWebhooks()
    {
        var options = WaitingRoomOptionsReader.Read(Configuration());

        Assert.Equal(0, options.DefaultRoom.MaxQueue);
        Assert.Null(options.DefaultRoom.WebhookUrl);
        Assert.Null(options.WebhookSecret);
    }

    [Fact]
    public void Read_RoomsFileRoomWithWebhookUrlButNoSecret_StopsStartNamingTheRoom()
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, """{"rooms":[{"name":"sale","path":"/sale","maxQueue":100,"webhookUrl":"https://hooks.example/sale"}]}""");
        try
        {
            var error = ReadFails(("WR_ROOMS_FILE", file));

            Assert.Equal(["room 'sale' of WR_ROOMS_FILE has a webhookUrl but WR_WEBHOOK_SECRET is not: every webhook is signed (WR-Signature), so set WR_WEBHOOK_SECRET to a long random string."], error.Errors);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Read_RoomsFileRoom_ItsOwnCapAndUrlAndTheDefaultRoomsCapInherited()
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, """{"rooms":[{"name":"sale","path":"/sale","webhookUrl":"https://hooks.example/sale"},{"name":"shop","path":"/shop","maxQueue":7}]}""");
        try
        {
            var options = WaitingRoomOptionsReader.Read(Configuration(("WR_ROOMS_FILE", file), ("WR_MAX_QUEUE", "300"), ("WR_WEBHOOK_SECRET", Secret)));

            Assert.Equal((300, new Uri("https://hooks.example/sale")), (options.Rooms[1].MaxQueue, options.Rooms[1].WebhookUrl));
            Assert.Equal((7, (Uri?)null), (options.Rooms[2].MaxQueue, options.Rooms[2].WebhookUrl));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Read_RoomsFileBadMaxQueue_FailsWithTheLine()
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, "{\"rooms\": [\n  {\"name\": \"sale\",\n   \"path\": \"/sale\",\n   \"maxQueue\": -5}\n]}\n");
        try
        {
            var error = ReadFails(("WR_ROOMS_FILE", file));

            var line = Assert.Single(error.Errors);
            Assert.Contains("line 4: 'maxQueue' must be a whole number from 0 to 1000000000, got -5", line, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Sign_KnownBody_IsTheHexHmacSha256ThatOpensslGives()
    {
        // printf '%s' "$body" | openssl dgst -sha256 -hmac webhook-test-secret-0123456789
        var body = """{"type":"queue.started","room":"sale","at":"2026-11-27T08:00:02.417Z","data":{"queued":1,"active":500,"capacity":500}}"""u8.ToArray();

        var signature = WaitingRoom.Webhooks.WebhookPublisher.Sign("webhook-test-secret-0123456789"u8.ToArray(), body);

        Assert.Equal("sha256=6d6e618ae32d99386e8ab9372954ceb2c0fda523c67b1135bc035a094be04b21", signature);
    }

    [Fact]
    public void Shown_UrlWithAQuery_HidesTheQuery()
    {
        Assert.Equal("https://hooks.example/in?(hidden)", WaitingRoom.Webhooks.WebhookOptions.Shown(new Uri("https://hooks.example/in?token=abc")));
        Assert.Equal("https://hooks.example/in", WaitingRoom.Webhooks.WebhookOptions.Shown(new Uri("https://hooks.example/in")));
    }
}
