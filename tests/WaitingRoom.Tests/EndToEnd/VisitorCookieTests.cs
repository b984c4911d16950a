using System.Net;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.EndToEnd;

/// <summary>Whatever a client sends as wr_token, it is a visitor: a valid cookie keeps its place, anything else is new.</summary>
public sealed class VisitorCookieTests
{
    public static TheoryData<string> BadTokens()
    {
        var data = new TheoryData<string>
        {
            "garbage",
            "",
            "a.b",
            new string('A', 22) + "." + new string('A', 22),
            new string('x', 4000),
            "%00%ff%fe",
            "..............................................",
            "AAAAAAAAAAAAAAAAAAAAA+.AAAAAAAAAAAAAAAAAAAAAA",
            "AAAAAAAAAAAAAAAAAAAAAB.AAAAAAAAAAAAAAAAAAAAAB",
            "AAAAAAAAAAAAAAAAAAAAA=.AAAAAAAAAAAAAAAAAAAAA/",
        };
        return data;
    }

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task Request_BadCookie_TreatedAsNewVisitor(string bad)
    {
        await using var proxy = await StartAsync(maxActive: 1);
        using var client = proxy.Anonymous();
        var holder = (await ProxyInstance.GetJsonAsync(client, "/")).Token!;

        var answer = await ProxyInstance.GetJsonAsync(client, "/", bad);

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.NotEqual(bad, answer.Token);
        Assert.NotEqual(holder, answer.Token);
        Assert.Equal("queued", answer.Json!.Value.GetProperty("state").GetString());
        Assert.Equal(1, answer.Json!.Value.GetProperty("position").GetInt64());
    }

    [Fact]
    public async Task Request_TamperedCookie_IsANewVisitorNotTheOriginal()
    {
        await using var proxy = await StartAsync(maxActive: 1);
        using var client = proxy.Anonymous();
        await ProxyInstance.GetJsonAsync(client, "/");
        var first = (await ProxyInstance.GetJsonAsync(client, "/")).Token!;
        await ProxyInstance.GetJsonAsync(client, "/");
        var tampered = first[..5] + (first[5] == 'A' ? 'B' : 'A') + first[6..];

        var again = await ProxyInstance.GetJsonAsync(client, "/", first);
        var forged = await ProxyInstance.GetJsonAsync(client, "/", tampered);

        Assert.Equal(1, again.Json!.Value.GetProperty("position").GetInt64());
        Assert.Equal(first, again.Token);
        Assert.Equal(3, forged.Json!.Value.GetProperty("position").GetInt64());
        Assert.NotEqual(tampered, forged.Token);
    }

    [Fact]
    public async Task Request_TokenFromAnotherInstance_Accepted()
    {
        var prefix = RedisServer.NewPrefix();
        await using var first = await StartAsync(maxActive: 1, prefix);
        await using var second = await StartAsync(maxActive: 1, prefix);
        using var one = first.Anonymous();
        using var two = second.Anonymous();
        await ProxyInstance.GetJsonAsync(one, "/");
        var queued = (await ProxyInstance.GetJsonAsync(one, "/")).Token!;

        var elsewhere = await ProxyInstance.GetJsonAsync(two, "/_wr/status", queued);

        Assert.Equal("queued", elsewhere.Json!.Value.GetProperty("state").GetString());
        Assert.Equal(1, elsewhere.Json!.Value.GetProperty("position").GetInt64());
    }

    [Fact]
    public async Task NewVisitor_Cookie_IsHttpOnlyLaxPathRootAndNotSecureOverHttp()
    {
        await using var proxy = await StartAsync(maxActive: 5);
        using var client = proxy.Anonymous();

        using var response = await client.GetAsync("/");
        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("wr_token=", StringComparison.Ordinal));

        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", cookie, StringComparison.OrdinalIgnoreCase);
    }

    private static async Task<ProxyInstance> StartAsync(int maxActive, string? prefix = null)
    {
        var settings = RedisServer.Shared.Settings(prefix ?? RedisServer.NewPrefix());
        settings["WR_MAX_ACTIVE"] = maxActive.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return await ProxyInstance.StartAsync(settings);
    }
}
