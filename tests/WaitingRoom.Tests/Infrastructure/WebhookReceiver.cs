using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace WaitingRoom.Tests.Infrastructure;

/// <summary>
/// A webhook receiver on real Kestrel at 127.0.0.1: records every POST (headers and body), answers
/// with the next scripted status (200 when none is left), or holds every request open while
/// <see cref="Hang"/> is set (until disposed).
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<int> _statuses = new();
    private readonly ConcurrentQueue<Received> _received = new();
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private WebhookReceiver(WebApplication app) => _app = app;

    /// <summary>Where the proxy sends its webhooks: <c>http://127.0.0.1:port/hooks</c>.</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>Holds every request open (the receiver hangs) until disposed.</summary>
    public bool Hang { get; set; }

    /// <summary>Every request received, in order of arrival.</summary>
    public IReadOnlyList<Received> All => [.. _received];

    public static async Task<WebhookReceiver> StartAsync(params int[] statuses)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        foreach (var status in statuses)
        {
            receiver._statuses.Enqueue(status);
        }

        app.MapPost("/hooks", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            receiver._received.Enqueue(new Received(headers, body.ToArray()));
            if (receiver.Hang)
            {
                await receiver._released.Task;
            }

            context.Response.StatusCode = receiver._statuses.TryDequeue(out var status) ? status : StatusCodes.Status200OK;
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Url = new Uri(new Uri(address), "/hooks");
        return receiver;
    }

    /// <summary>The received webhooks of <paramref name="type"/>.</summary>
    public IReadOnlyList<Received> OfType(string type) => [.. _received.Where(r => r.Type == type)];

    /// <summary>Waits (polling every 20 ms) until a webhook of <paramref name="type"/> has arrived; fails the test after <paramref name="timeout"/> (10 s).</summary>
    public async Task<Received> WaitForAsync(string type, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (_received.FirstOrDefault(r => r.Type == type) is { } found)
            {
                return found;
            }

            Assert.True(clock.Elapsed < (timeout ?? TimeSpan.FromSeconds(10)), $"no {type} webhook within {(timeout ?? TimeSpan.FromSeconds(10)).TotalSeconds} s; got: {string.Join(", ", _received.Select(r => r.Type))}");
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _released.TrySetResult();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>One request as the receiver saw it.</summary>
    public sealed record Received(IReadOnlyDictionary<string, string> Headers, byte[] Body)
    {
        public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();

        public string? Type => Json.GetProperty("type").GetString();

        public string? Room => Json.GetProperty("room").GetString();

        public JsonElement Data => Json.GetProperty("data");

        /// <summary>True when WR-Signature is <c>sha256=</c> and the hex HMAC-SHA256 of the body under <paramref name="secret"/>, as a receiver checks it.</summary>
        public bool IsSignedWith(string secret)
        {
            var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Body));
            return Headers.TryGetValue("WR-Signature", out var sent) &&
                CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(sent));
        }
    }
}
