using System.Diagnostics;
using System.Net;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.EndToEnd;

/// <summary>
/// Redis goes away and comes back (a private redis-server killed and restarted on its port):
/// the room follows WR_FAILURE_MODE meanwhile and recovers by itself.
/// </summary>
public sealed class StoreOutageTests
{
    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Outage_FailureModeClosed_503WithRetryAfterAndNotReadyThenRecoversByItself()
    {
        var redis = RedisServer.StartPrivate();
        try
        {
            await using var backend = await TestBackend.StartAsync();
            await using var proxy = await StartProxyAsync(redis, backend, "closed");
            using var client = proxy.Anonymous();
            var active = (await ProxyInstance.GetJsonAsync(client, "/echo")).Token!;

            // The killed server had no persistence, so it comes back empty: the visitor is simply
            // admitted again. (Keeping places across an outage is Redis persistence's job.)
            redis.Stop();
            var down = await EventuallyAsync(client, "/echo", active, r => r.Status == HttpStatusCode.ServiceUnavailable);
            using var page = await client.GetAsync("/echo");
            var ready = await client.GetAsync("/_wr/ready");

            Assert.Equal(HttpStatusCode.ServiceUnavailable, down.Status);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, page.StatusCode);
            Assert.NotNull(page.Headers.RetryAfter);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);

            redis = redis.Restart();
            var back = await EventuallyAsync(client, "/echo", active, r => r.Status == HttpStatusCode.OK);
            Assert.True(back.Json?.TryGetProperty("method", out _) == true, back.Body);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/_wr/ready")).StatusCode);
        }
        finally
        {
            redis.Stop();
        }
    }

    [Fact]
    public async Task Outage_FailureModeOpen_ForwardsToBackend()
    {
        var redis = RedisServer.StartPrivate();
        try
        {
            await using var backend = await TestBackend.StartAsync();
            await using var proxy = await StartProxyAsync(redis, backend, "open");
            using var client = proxy.Anonymous();
            await ProxyInstance.GetJsonAsync(client, "/echo");
            var queued = await ProxyInstance.GetJsonAsync(client, "/echo");
            Assert.Equal("queued", queued.Json!.Value.GetProperty("state").GetString());

            redis.Stop();
            var forwarded = await EventuallyAsync(client, "/echo", queued.Token, r => r.Json?.TryGetProperty("method", out _) == true);

            Assert.Equal(HttpStatusCode.OK, forwarded.Status);
        }
        finally
        {
            redis.Stop();
        }
    }

    /// <summary>One slot, a fixed secret (so cookies stay valid whatever Redis forgets), the given failure mode.</summary>
    private static Task<ProxyInstance> StartProxyAsync(RedisServer redis, TestBackend backend, string failureMode)
    {
        var settings = redis.Settings(RedisServer.NewPrefix());
        settings["WR_BACKEND_URL"] = backend.Address.ToString();
        settings["WR_MAX_ACTIVE"] = "1";
        settings["WR_FAILURE_MODE"] = failureMode;
        settings["WR_SECRET"] = "a-test-secret-of-enough-length";
        return ProxyInstance.StartAsync(settings);
    }

    private static async Task<(HttpStatusCode Status, System.Text.Json.JsonElement? Json, string? Token, string Body)> EventuallyAsync(
        HttpClient client, string path, string? token, Func<(HttpStatusCode Status, System.Text.Json.JsonElement? Json, string? Token, string Body), bool> done)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var answer = await ProxyInstance.GetJsonAsync(client, path, token);
            Assert.NotEqual(HttpStatusCode.InternalServerError, answer.Status);
            if (done(answer))
            {
                return answer;
            }

            Assert.True(clock.Elapsed < s_limit, $"still {answer.Status} after {s_limit}: {answer.Body}");
            await Task.Delay(100);
        }
    }
}
