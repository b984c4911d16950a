using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace WaitingRoom.Tests.Security;

/// <summary>
/// A real origin on Kestrel at 127.0.0.1 that records every request it receives (method, raw
/// target, every Cookie header value as sent) and answers 200 "recorded", reading the whole body.
/// Its own limits are raised so that it never refuses what the proxy lets through.
/// </summary>
public sealed class RecordingBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Received> _received = new();

    private RecordingBackend(WebApplication app) => _app = app;

    public Uri Address { get; private set; } = null!;

    /// <summary>Every request received so far, in arrival order.</summary>
    public IReadOnlyList<Received> Requests => [.. _received];

    public static async Task<RecordingBackend> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestHeadersTotalSize = 1024 * 1024;
            k.Limits.MaxRequestHeaderCount = 10_000;
            k.Limits.MaxRequestLineSize = 1024 * 1024;
            k.Limits.MaxRequestBodySize = null;
        });
        var app = builder.Build();
        var backend = new RecordingBackend(app);
        app.Run(async context =>
        {
            var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "";
            var cookies = context.Request.Headers.Cookie.Select(v => v ?? "").ToArray();
            long bodyLength = 0;
            var buffer = new byte[16 * 1024];
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
            {
                bodyLength += read;
            }

            backend._received.Enqueue(new Received(context.Request.Method, target, cookies, bodyLength));
            await context.Response.WriteAsync("recorded");
        });
        await app.StartAsync();
        backend.Address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return backend;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>One request as the backend received it.</summary>
    public sealed record Received(string Method, string Target, IReadOnlyList<string> CookieHeaders, long BodyLength)
    {
        /// <summary>The names of every cookie in every Cookie header, split on ';' as a server would.</summary>
        public IEnumerable<string> CookieNames => CookieHeaders
            .SelectMany(h => h.Split(';'))
            .Select(p => p.Trim())
            .Where(p => p.Length > 0)
            .Select(p => (p.Contains('=', StringComparison.Ordinal) ? p[..p.IndexOf('=', StringComparison.Ordinal)] : p).Trim());
    }
}
