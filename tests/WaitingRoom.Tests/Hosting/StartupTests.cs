using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
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

        try
        {
            // Act
            using var timeout = new CancellationTokenSource(s_timeout);
            await app.Process.WaitForExitAsync(timeout.Token);
            app.Process.WaitForExit();

            // Assert
            Assert.NotEqual(0, app.Process.ExitCode);
            var lines = app.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var line = Assert.Single(lines);
            Assert.Contains("WR_MAX_ACTIVE", line, StringComparison.Ordinal);
            Assert.Contains("abc", line, StringComparison.Ordinal);
        }
        finally
        {
            app.Kill();
        }
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
            using var timeout = new CancellationTokenSource(s_timeout);
            await app.Process.WaitForExitAsync(timeout.Token);
            app.Process.WaitForExit();

            // Assert
            Assert.Equal(2, app.Process.ExitCode);
            var lines = app.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.Equal(2, lines.Length);
            Assert.All(lines, line => Assert.StartsWith("WR_ROOMS_FILE=", line, StringComparison.Ordinal));
            Assert.Contains("line 3: unknown property 'maxActiv'", lines[0], StringComparison.Ordinal);
            Assert.Contains("line 5: 'maxActive'", lines[1], StringComparison.Ordinal);
        }
        finally
        {
            app.Kill();
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Start_ValidVariablesFromOtherDirectory_ServesHealthDemoOriginAndAssets()
    {
        // Arrange
        var port = FreePort();
        using var app = AppProcess.Start(new Dictionary<string, string>
        {
            ["WR_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };

        try
        {
            await WaitUntilHealthyAsync(app, client);

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
        finally
        {
            app.Kill();
        }
    }

    [Fact]
    public async Task Request_WithTokenAndOtherCookies_LogsOneJsonLineWithoutEither()
    {
        // Arrange
        var port = FreePort();
        using var app = AppProcess.Start(new Dictionary<string, string>
        {
            ["WR_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        using var client = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };

        try
        {
            await WaitUntilHealthyAsync(app, client);
            using var first = await client.GetAsync(new Uri("/first", UriKind.Relative));
            var setCookie = first.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("wr_token=", StringComparison.Ordinal));
            var token = setCookie["wr_token=".Length..setCookie.IndexOf(';', StringComparison.Ordinal)];

            // Act
            using var request = new HttpRequestMessage(HttpMethod.Get, "/logged-path?q=private-query");
            request.Headers.Add("Cookie", $"session=TOPSECRET42; wr_token={token}");
            using var response = await client.SendAsync(request);
            var deadline = Stopwatch.StartNew();
            while (!app.StandardOutput.Contains("/logged-path", StringComparison.Ordinal) && deadline.Elapsed < s_timeout)
            {
                await Task.Delay(100);
            }

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
        finally
        {
            app.Kill();
        }
    }

    [Fact]
    public async Task Request_SerilogConfigurationAddsAProperty_RequestLinesGoThroughSerilogAndCarryIt()
    {
        // Arrange: a global property from the configuration, which only Serilog's pipeline adds.
        var port = FreePort();
        using var app = AppProcess.Start(new Dictionary<string, string>
        {
            ["WR_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Serilog__Properties__Deployment"] = "blue",
        });
        using var client = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };

        try
        {
            await WaitUntilHealthyAsync(app, client);

            // Act
            using var response = await client.GetAsync(new Uri("/enriched-path", UriKind.Relative));
            var deadline = Stopwatch.StartNew();
            while (!app.StandardOutput.Contains("/enriched-path", StringComparison.Ordinal) && deadline.Elapsed < s_timeout)
            {
                await Task.Delay(100);
            }

            // Assert: the same request line, plus the operator's property.
            var line = app.StandardOutput.Split('\n').Single(l => l.Contains("\"Path\":\"/enriched-path\"", StringComparison.Ordinal));
            using var json = System.Text.Json.JsonDocument.Parse(line);
            var properties = json.RootElement.GetProperty("Properties");
            Assert.Equal("blue", properties.GetProperty("Deployment").GetString());
            Assert.Equal(200, properties.GetProperty("StatusCode").GetInt32());
            Assert.Equal("WaitingRoom.Operations.RequestLogMiddleware", properties.GetProperty("SourceContext").GetString());
        }
        finally
        {
            app.Kill();
        }
    }

    private static async Task WaitUntilHealthyAsync(AppProcess app, HttpClient client)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < s_timeout)
        {
            if (app.Process.HasExited)
            {
                Assert.Fail($"The app exited with code {app.Process.ExitCode} before answering.\nstderr: {app.StandardError}\nstdout: {app.StandardOutput}");
            }

            try
            {
                using var response = await client.GetAsync(new Uri("/_wr/health", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Not answering yet.
            }

            await Task.Delay(200);
        }

        Assert.Fail($"/_wr/health did not answer within {s_timeout.TotalSeconds} s.\nstderr: {app.StandardError}\nstdout: {app.StandardOutput}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>One run of the app with its output captured; killed with its children on dispose.</summary>
    private sealed class AppProcess : IDisposable
    {
        private readonly StringBuilder _stdout = new();
        private readonly StringBuilder _stderr = new();
        private readonly string _workingDirectory;

        private AppProcess(Process process, string workingDirectory)
        {
            Process = process;
            _workingDirectory = workingDirectory;
        }

        public Process Process { get; }

        public string StandardOutput
        {
            get
            {
                lock (_stdout)
                {
                    return _stdout.ToString();
                }
            }
        }

        public string StandardError
        {
            get
            {
                lock (_stderr)
                {
                    return _stderr.ToString();
                }
            }
        }

        public static AppProcess Start(IDictionary<string, string> variables)
        {
            var (info, workingDirectory) = AppBinary.StartInfo(variables);
            var process = new Process { StartInfo = info };
            var app = new AppProcess(process, workingDirectory);
            process.OutputDataReceived += (_, e) => Append(app._stdout, e.Data);
            process.ErrorDataReceived += (_, e) => Append(app._stderr, e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return app;
        }

        public void Kill()
        {
            try
            {
                if (!Process.HasExited)
                {
                    Process.Kill(entireProcessTree: true);
                    Process.WaitForExit(10_000);
                }
            }
            catch (InvalidOperationException)
            {
                // It ended by itself in the meantime.
            }
        }

        public void Dispose()
        {
            Kill();
            Process.Dispose();
            try
            {
                Directory.Delete(_workingDirectory, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a temp folder.
            }
        }

        private static void Append(StringBuilder buffer, string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (buffer)
            {
                buffer.Append(line).Append('\n');
            }
        }
    }
}
