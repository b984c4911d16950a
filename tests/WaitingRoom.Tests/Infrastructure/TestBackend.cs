using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace WaitingRoom.Tests.Infrastructure;

/// <summary>
/// A real origin on Kestrel at 127.0.0.1: counts every request it serves and answers
/// /echo (what it received, as JSON), /stream (a slow chunked body), /ws (WebSocket echo),
/// /slow?ms=N (answers "slow" after N ms), /status?code=N (answers with status N), /command?c=… (answers with WR-Command: …) and anything else with "backend:{path}".
/// /healthz answers 200 "ok" while <see cref="Healthy"/>, else 503; it is counted apart, in
/// <see cref="HealthChecks"/>. A backend started with a name tags every answer with X-Backend.
/// </summary>
public sealed class TestBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;
    private int _healthChecks;
    private volatile bool _healthy = true;

    private TestBackend(WebApplication app, string? name)
    {
        _app = app;
        Name = name;
    }

    public Uri Address { get; private set; } = null!;

    /// <summary>The name given at start, sent back in the X-Backend header of every answer; null when none.</summary>
    public string? Name { get; }

    /// <summary>Requests that reached the backend (health checks on /healthz not included).</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Requests to /healthz.</summary>
    public int HealthChecks => Volatile.Read(ref _healthChecks);

    /// <summary>What /healthz answers: 200 "ok" when true (the default), 503 when false.</summary>
    public bool Healthy
    {
        get => _healthy;
        set => _healthy = value;
    }

    public static async Task<TestBackend> StartAsync(string? name = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var backend = new TestBackend(app, name);
        app.UseWebSockets();
        app.Use((context, next) =>
        {
            if (name is not null)
            {
                context.Response.Headers["X-Backend"] = name;
            }

            if (context.Request.Path.Equals("/healthz", StringComparison.OrdinalIgnoreCase))
            {
                Interlocked.Increment(ref backend._healthChecks);
                var healthy = backend.Healthy;
                context.Response.StatusCode = healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
                return context.Response.WriteAsync(healthy ? "ok" : "unhealthy");
            }

            Interlocked.Increment(ref backend._requests);
            return next(context);
        });
        app.Map("/echo", EchoAsync);
        app.Map("/stream", StreamAsync);
        app.Map("/ws", WebSocketEchoAsync);
        app.Map("/slow", SlowAsync);
        app.Map("/release", (HttpContext context) =>
        {
            context.Response.Headers["WR-Command"] = "release";
            return "released";
        });
        app.Map("/status", (HttpContext context) =>
        {
            // An answer with the status the test asks for (?code=503), to make the origin fail on purpose.
            context.Response.StatusCode = int.TryParse(context.Request.Query["code"], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code) && code is >= 200 and <= 599 ? code : StatusCodes.Status200OK;
            return context.Response.WriteAsync("status " + context.Response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture));
        });
        app.Map("/command", (HttpContext context) =>
        {
            // The origin's WR-Command header, as the test asks for it (?c=capacity=4).
            context.Response.Headers["WR-Command"] = context.Request.Query["c"].ToString();
            return "commanded";
        });
                app.Map("{**path}", (HttpContext context) => "backend:" + context.Request.Path);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        backend.Address = new Uri(address);
        return backend;
    }

    private static async Task EchoAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        var bytes = body.ToArray();
        var headers = context.Request.Headers;
        await context.Response.WriteAsJsonAsync(new Dictionary<string, object?>
        {
            ["method"] = context.Request.Method,
            ["path"] = context.Request.Path.Value + context.Request.QueryString,
            ["cookie"] = headers.Cookie.ToString(),
            ["xForwardedFor"] = headers["X-Forwarded-For"].ToString(),
            ["xForwardedProto"] = headers["X-Forwarded-Proto"].ToString(),
            ["xForwardedHost"] = headers["X-Forwarded-Host"].ToString(),
            ["wrAdmission"] = headers["WR-Admission"].Count == 0 ? null : headers["WR-Admission"].ToArray(),
            ["bodyLength"] = bytes.Length,
            ["bodySha256"] = Convert.ToHexString(SHA256.HashData(bytes)),
        });
    }

    private static async Task StreamAsync(HttpContext context)
    {
        context.Response.ContentType = "text/plain";
        for (var i = 0; i < 5; i++)
        {
            await context.Response.WriteAsync($"chunk{i}\n");
            await context.Response.Body.FlushAsync();
            await Task.Delay(50);
        }
    }

    private static async Task SlowAsync(HttpContext context)
    {
        var ms = int.TryParse(context.Request.Query["ms"], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) ? value : 1000;
        try
        {
            await Task.Delay(ms, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            // The proxy gave up waiting: nobody reads the answer.
            return;
        }

        await context.Response.WriteAsync("slow");
    }

    private static async Task WebSocketEchoAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var buffer = new byte[4096];
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                return;
            }

            await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, CancellationToken.None);
        }
    }

    /// <summary>Parses a JSON answer of /echo.</summary>
    public static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
