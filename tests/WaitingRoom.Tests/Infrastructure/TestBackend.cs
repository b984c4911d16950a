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
/// /echo (what it received, as JSON), /stream (a slow chunked body), /ws (WebSocket echo)
/// and anything else with "backend:{path}".
/// </summary>
public sealed class TestBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    private TestBackend(WebApplication app)
    {
        _app = app;
    }

    public Uri Address { get; private set; } = null!;

    /// <summary>Requests that reached the backend.</summary>
    public int Requests => Volatile.Read(ref _requests);

    public static async Task<TestBackend> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var backend = new TestBackend(app);
        app.UseWebSockets();
        app.Use((context, next) =>
        {
            Interlocked.Increment(ref backend._requests);
            return next(context);
        });
        app.Map("/echo", EchoAsync);
        app.Map("/stream", StreamAsync);
        app.Map("/ws", WebSocketEchoAsync);
        app.Map("/release", (HttpContext context) =>
        {
            context.Response.Headers["WR-Command"] = "release";
            return "released";
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
