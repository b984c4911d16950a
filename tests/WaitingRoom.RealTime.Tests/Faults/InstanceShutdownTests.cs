using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Configuration;
using WaitingRoom.Configuration;
using WaitingRoom.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace WaitingRoom.Tests.Faults;

/// <summary>
/// SIGTERM to a real instance process (the built WaitingRoom.dll) while slow backend requests are
/// in flight: readiness turns 503 at once, the requests finish normally, and the process exits
/// with code 0 within WR_SHUTDOWN_TIMEOUT (or, past it, is cut off on time).
/// </summary>
[Collection(FaultTestGroup.Name)]
public sealed class InstanceShutdownTests
{
    private readonly ITestOutputHelper _output;

    public InstanceShutdownTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task Sigterm_RequestsInFlight_FinishNormallyReadyDrainsExitCodeZero()
    {
        // Arrange: a backend that answers after 2 s; WR_SHUTDOWN_DELAY 1 s, WR_SHUTDOWN_TIMEOUT 10 s.
        await using var backend = await TestBackend.StartAsync();
        using var app = await AppProcess.StartAsync(Variables(backend, timeout: "10", delay: "1"), AppProcess.ReadyPath);
        using var client = new HttpClient { BaseAddress = app.Address, Timeout = TimeSpan.FromSeconds(20) };
        var inFlight = Enumerable.Range(0, 5).Select(_ => client.GetAsync("/slow?ms=2000")).ToList();
        await EventuallyAsync(() => backend.Requests >= inFlight.Count, TimeSpan.FromSeconds(10), "the slow requests did not reach the backend");

        // Act
        var clock = Stopwatch.StartNew();
        app.Terminate();
        var ready = await ReadyStatusAsync(app.Address);
        var readyAt = clock.Elapsed;
        var answers = await Task.WhenAll(inFlight);
        var answeredAt = clock.Elapsed;
        var exited = await app.WaitForExitAsync(TimeSpan.FromSeconds(15));
        var exitedAt = clock.Elapsed;
        _output.WriteLine($"ready {(int?)ready} after {readyAt.TotalMilliseconds:F0} ms; in-flight requests answered after {answeredAt.TotalMilliseconds:F0} ms; exit after {exitedAt.TotalMilliseconds:F0} ms");

        // Assert
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready);
        foreach (var answer in answers)
        {
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            Assert.Equal("slow", await answer.Content.ReadAsStringAsync());
        }

        Assert.True(exited, "still running 15 s after SIGTERM:\n" + app.Output);
        Assert.Equal(0, app.ExitCode);
        Assert.True(exitedAt < TimeSpan.FromSeconds(10), $"exit took {exitedAt}");
    }

    [Fact]
    public async Task Sigterm_RequestLongerThanShutdownTimeout_ExitsOnTimeWithCodeZero()
    {
        // Arrange: WR_SHUTDOWN_TIMEOUT 1 s, a backend request of 20 s in flight.
        await using var backend = await TestBackend.StartAsync();
        using var app = await AppProcess.StartAsync(Variables(backend, timeout: "1", delay: "0"), AppProcess.ReadyPath);
        using var client = new HttpClient { BaseAddress = app.Address, Timeout = TimeSpan.FromSeconds(30) };
        var slow = client.GetAsync("/slow?ms=20000");
        await EventuallyAsync(() => backend.Requests >= 1, TimeSpan.FromSeconds(10), "the slow request did not reach the backend");

        // Act
        var clock = Stopwatch.StartNew();
        app.Terminate();
        var exited = await app.WaitForExitAsync(TimeSpan.FromSeconds(15));
        var exitedAt = clock.Elapsed;
        _output.WriteLine($"exit after {exitedAt.TotalMilliseconds:F0} ms");

        // Assert: cut off after the timeout, not after the request's 20 s; the client sees the connection end.
        Assert.True(exited, "still running 15 s after SIGTERM:\n" + app.Output);
        Assert.Equal(0, app.ExitCode);
        Assert.True(exitedAt < TimeSpan.FromSeconds(5), $"exit took {exitedAt}");
        await Assert.ThrowsAsync<HttpRequestException>(() => slow);
    }

    [Theory]
    [InlineData("5", "5", "WR_SHUTDOWN_DELAY='5' is not valid: expected less than WR_SHUTDOWN_TIMEOUT (5 s)")]
    [InlineData("10", "-1", "WR_SHUTDOWN_DELAY='-1' is not valid")]
    [InlineData("soon", "0", "WR_SHUTDOWN_TIMEOUT='soon' is not valid: expected a number of seconds from 0 to 3600")]
    public void Read_BadShutdownTimes_FailNamingTheVariable(string timeout, string delay, string expected)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["WR_SHUTDOWN_TIMEOUT"] = timeout, ["WR_SHUTDOWN_DELAY"] = delay })
            .Build();

        var exception = Assert.Throws<WaitingRoomConfigurationException>(() => { WaitingRoomOptionsReader.Read(configuration); });

        Assert.StartsWith(expected, Assert.Single(exception.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ShutdownTimesUnset_DefaultsAreDeliberate()
    {
        var options = WaitingRoomOptionsReader.Read(new ConfigurationBuilder().Build());

        Assert.Equal(TimeSpan.FromSeconds(25), options.ShutdownTimeout);
        Assert.Equal(TimeSpan.Zero, options.ShutdownDelay);
    }

    private static Dictionary<string, string> Variables(TestBackend backend, string timeout, string delay)
    {
        var variables = new Dictionary<string, string>
        {
            ["WR_BACKEND_URL"] = backend.Address.ToString(),
            ["WR_SECRET"] = "a-test-secret-of-enough-length",
            ["WR_MAX_NEW_PER_IP_PER_MINUTE"] = "0",
            ["WR_SHUTDOWN_TIMEOUT"] = timeout,
            ["WR_SHUTDOWN_DELAY"] = delay,
        };
        foreach (var (name, value) in RedisServer.Shared.Settings(RedisServer.NewPrefix()))
        {
            variables[name] = value!;
        }

        return variables;
    }

    /// <summary>/_wr/ready on a new connection, as a load balancer's probe asks it.</summary>
    private static async Task<HttpStatusCode?> ReadyStatusAsync(Uri address)
    {
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            try
            {
                using var ready = await probe.GetAsync(new Uri(address, "/_wr/ready"));
                if (ready.StatusCode != HttpStatusCode.OK)
                {
                    return ready.StatusCode;
                }
            }
            catch (HttpRequestException)
            {
                return null;
            }

            await Task.Delay(20);
        }

        return HttpStatusCode.OK;
    }

    private static async Task EventuallyAsync(Func<bool> condition, TimeSpan limit, string failure)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < limit, failure);
            await Task.Delay(20);
        }
    }
}
