using System.Net;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.Hosting;

/// <summary>
/// Runs the built app as a real process (<c>dotnet WaitingRoom.dll</c>) from a working directory
/// that is not the app's own folder, as an operator or a container would.
/// </summary>
public sealed class StartupTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Start_BadVariable_ExitsNonZeroWithOneLineNamingVariableAndValue()
    {
        // Arrange
        using var app = AppProcess.Start(new Dictionary<string, string>
        {
            ["WR_MAX_ACTIVE"] = "abc",
            ["WR_PORT"] = "0",
        });

        // Act
        var exitCode = await app.ExitCodeAsync(s_timeout);

        // Assert
        Assert.NotEqual(0, exitCode);
        var lines = app.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = Assert.Single(lines);
        Assert.Contains("WR_MAX_ACTIVE", line, StringComparison.Ordinal);
        Assert.Contains("abc", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_RoomsFileWithMistakes_ExitsTwoNamingEachLineAndReason()
    {
        // Arrange: a typo on line 3, a string where a number belongs on line 5.
        var file = Path.Combine(Path.GetTempPath(), $"rooms-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, "{\"rooms\": [\n  {\"name\": \"sale\", \"path\": \"/sale\",\n   \"maxActiv\": 5},\n  {\"name\": \"news\", \"path\": \"/news\",\n   \"maxActive\": \"5\"}\n]}\n");
        using var app = AppProcess.Start(new Dictionary<string, string>
        {
            ["WR_ROOMS_FILE"] = file,
            ["WR_PORT"] = "0",
        });

        try
        {
            // Act
            var exitCode = await app.ExitCodeAsync(s_timeout);

            // Assert
            Assert.Equal(2, exitCode);
            var lines = app.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.Equal(2, lines.Length);
            Assert.All(lines, line => Assert.StartsWith("WR_ROOMS_FILE=", line, StringComparison.Ordinal));
            Assert.Contains("line 3: unknown property 'maxActiv'", lines[0], StringComparison.Ordinal);
            Assert.Contains("line 5: 'maxActive'", lines[1], StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Start_ValidVariablesFromOtherDirectory_ServesHealthDemoOriginAndAssets()
    {
        // Arrange
        using var app = await AppProcess.StartAsync(new Dictionary<string, string>(), readyWithin: s_timeout);
        using var client = new HttpClient { BaseAddress = app.Address, Timeout = TimeSpan.FromSeconds(5) };

        // Act
        using var health = await client.GetAsync(new Uri("/_wr/health", UriKind.Relative));
        using var page = await client.GetAsync(new Uri("/", UriKind.Relative));
        var pageBody = await page.Content.ReadAsStringAsync();
        using var css = await client.GetAsync(new Uri("/_wr/assets/queue.css", UriKind.Relative));
        var cssBody = await css.Content.ReadAsStringAsync();

        // Assert
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("demo origin", pageBody, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, css.StatusCode);
        Assert.Equal("text/css", css.Content.Headers.ContentType?.MediaType);
        Assert.NotEmpty(cssBody);
    }

    [Fact]
    public async Task Request_WithTokenAndOtherCookies_LogsOneJsonLineWithoutEither()
    {
        // Arrange
        using var app = await AppProcess.StartAsync(new Dictionary<string, string>(), readyWithin: s_timeout);
        using var client = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = app.Address, Timeout = TimeSpan.FromSeconds(5) };
        using var first = await client.GetAsync(new Uri("/first", UriKind.Relative));
        var setCookie = first.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("wr_token=", StringComparison.Ordinal));
        var token = setCookie["wr_token=".Length..setCookie.IndexOf(';', StringComparison.Ordinal)];

        // Act
        using var request = new HttpRequestMessage(HttpMethod.Get, "/logged-path?q=private-query");
        request.Headers.Add("Cookie", $"session=TOPSECRET42; wr_token={token}");
        using var response = await client.SendAsync(request);
        await app.OutputContainsAsync("/logged-path", s_timeout);

        // Assert
        var output = app.StandardOutput;
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.All(lines, line => System.Text.Json.JsonDocument.Parse(line).Dispose());
        var requestLines = lines.Where(l => l.Contains("\"Path\":\"/logged-path\"", StringComparison.Ordinal)).ToList();
        Assert.Single(requestLines);
        Assert.Contains("\"Visitor\":\"" + token[..8] + "\"", requestLines[0], StringComparison.Ordinal);
        Assert.DoesNotContain(token, output, StringComparison.Ordinal);
        Assert.DoesNotContain(token[..22], output, StringComparison.Ordinal);
        Assert.DoesNotContain("TOPSECRET42", output, StringComparison.Ordinal);
        Assert.DoesNotContain("private-query", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Request_SerilogConfigurationAddsAProperty_RequestLinesGoThroughSerilogAndCarryIt()
    {
        // Arrange: a global property from the configuration, which only Serilog's pipeline adds.
        using var app = await AppProcess.StartAsync(new Dictionary<string, string> { ["Serilog__Properties__Deployment"] = "blue" }, readyWithin: s_timeout);
        using var client = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = app.Address, Timeout = TimeSpan.FromSeconds(5) };

        // Act
        using var response = await client.GetAsync(new Uri("/enriched-path", UriKind.Relative));
        await app.OutputContainsAsync("/enriched-path", s_timeout);

        // Assert: the request line, plus the operator's property.
        var line = app.StandardOutput.Split('\n').Single(l => l.Contains("\"Path\":\"/enriched-path\"", StringComparison.Ordinal));
        using var json = System.Text.Json.JsonDocument.Parse(line);
        var properties = json.RootElement.GetProperty("Properties");
        Assert.Equal("blue", properties.GetProperty("Deployment").GetString());
        Assert.Equal(200, properties.GetProperty("StatusCode").GetInt32());
        Assert.Equal("GET", properties.GetProperty("Method").GetString());
        Assert.Equal(300, properties.GetProperty("EventId").GetProperty("Id").GetInt32());
        Assert.Equal("Serilog.AspNetCore.RequestLoggingMiddleware", properties.GetProperty("SourceContext").GetString());
    }

    [Fact]
    public async Task Request_SerilogConfigurationAddsASink_RequestLinesReachIt()
    {
        // Arrange: a file sink from the configuration, beside the console.
        var file = Path.Combine(Path.GetTempPath(), $"wr-log-{Guid.NewGuid():N}.txt");
        try
        {
            using var app = await AppProcess.StartAsync(
                new Dictionary<string, string>
                {
                    ["Serilog__WriteTo__0__Name"] = "File",
                    ["Serilog__WriteTo__0__Args__path"] = file,
                    ["Serilog__WriteTo__0__Args__outputTemplate"] = "{Message:lj}{NewLine}",
                },
                readyWithin: s_timeout);
            using var client = new HttpClient { BaseAddress = app.Address, Timeout = TimeSpan.FromSeconds(5) };

            // Act: the sinks are flushed when the app stops.
            using var response = await client.GetAsync(new Uri("/sunk-path", UriKind.Relative));
            app.Terminate();
            Assert.True(await app.WaitForExitAsync(s_timeout));

            // Assert: the same request line in both.
            Assert.Contains("/sunk-path", app.StandardOutput, StringComparison.Ordinal);
            Assert.Single(File.ReadAllLines(file), l => l.StartsWith("GET /sunk-path 200 ", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("Serilog__MinimumLevel__Default")]
    [InlineData("Serilog__MinimumLevel__Override__Serilog.AspNetCore.RequestLoggingMiddleware")]
    [InlineData("Serilog__MinimumLevel__Override__WaitingRoom.Operations.RequestLogMiddleware")]
    public async Task Request_SerilogLevelWarning_WritesNoRequestLine(string variable)
    {
        // Arrange
        using var app = await AppProcess.StartAsync(new Dictionary<string, string> { [variable] = "Warning" }, readyWithin: s_timeout);
        using var client = new HttpClient { BaseAddress = app.Address, Timeout = TimeSpan.FromSeconds(5) };

        // Act: the logger is flushed when the app stops.
        using var response = await client.GetAsync(new Uri("/quiet-path", UriKind.Relative));
        app.Terminate();
        var exited = await app.WaitForExitAsync(s_timeout);

        // Assert: warnings are written, the request line is not.
        Assert.True(exited);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("WR_REDIS_HOST is unset", app.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("/quiet-path", app.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Request_ClientGoesAwayBeforeTheAnswer_LoggedWithStatus499()
    {
        // Arrange: a backend that takes 10 s to answer.
        await using var backend = await TestBackend.StartAsync();
        using var app = await AppProcess.StartAsync(new Dictionary<string, string> { ["WR_BACKEND_URL"] = backend.Address.ToString() }, readyWithin: s_timeout);
        using var client = new HttpClient { BaseAddress = app.Address };

        // Act: the client gives up long before.
        using var giveUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetAsync(new Uri("/slow?ms=10000", UriKind.Relative), giveUp.Token));
        await app.OutputContainsAsync("\"Path\":\"/slow\"", s_timeout);

        // Assert
        var line = app.StandardOutput.Split('\n').Single(l => l.Contains("\"Path\":\"/slow\"", StringComparison.Ordinal));
        using var json = System.Text.Json.JsonDocument.Parse(line);
        Assert.Equal(499, json.RootElement.GetProperty("Properties").GetProperty("StatusCode").GetInt32());
    }

    [Fact]
    public async Task Request_LogFormatText_OneReadableLinePerRequest()
    {
        // Arrange
        using var app = await AppProcess.StartAsync(new Dictionary<string, string> { ["WR_LOG_FORMAT"] = "text" }, readyWithin: s_timeout);
        using var client = new HttpClient { BaseAddress = app.Address, Timeout = TimeSpan.FromSeconds(5) };

        // Act
        using var response = await client.GetAsync(new Uri("/text-path?q=private-query", UriKind.Relative));
        await app.OutputContainsAsync("/text-path", s_timeout);

        // Assert: Serilog's console line, no JSON, no query string.
        var line = Assert.Single(app.StandardOutput.Split('\n'), l => l.Contains("/text-path", StringComparison.Ordinal));
        Assert.Matches(@"^\[\d\d:\d\d:\d\d INF\] GET /text-path 200 \d+\.\d ms active room=default visitor=\S{8}$", line.TrimEnd());
        Assert.DoesNotContain("{\"", app.StandardOutput, StringComparison.Ordinal);
    }
}
