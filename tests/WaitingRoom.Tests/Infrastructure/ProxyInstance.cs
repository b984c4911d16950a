using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using WaitingRoom.Queue;

namespace WaitingRoom.Tests.Infrastructure;

/// <summary>
/// One WaitingRoom instance, composed exactly as Program.cs composes it, on real Kestrel at
/// 127.0.0.1 on a free port, configured by WR_* settings.
/// </summary>
public sealed class ProxyInstance : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ProxyInstance(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>The Redis call deadline of instances that do not test outages (see <see cref="StartAsync"/>).</summary>
    public static readonly TimeSpan LoadedMachineDeadline = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Starts an instance. With <paramref name="time"/> (a FakeTimeProvider) the room's clock and
    /// its loops' timers (promotion, cache flush, shared-state sync) move only when the test
    /// advances it; the store's call deadlines stay on real time.
    /// <paramref name="storeDeadline"/> is how long a Redis call may take before it counts as no
    /// answer: <see cref="LoadedMachineDeadline"/> unless given, so hundreds of tests sharing two
    /// cores are not an outage; tests of outages pass <see cref="StoreAvailability.DefaultRequestDeadline"/>.
    /// </summary>
    public static async Task<ProxyInstance> StartAsync(IDictionary<string, string?> settings, Action<IServiceCollection>? configureServices = null, TimeProvider? time = null, TimeSpan? storeDeadline = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, EnvironmentName = "Production" });
        var all = new Dictionary<string, string?>(settings)
        {
            ["Serilog:MinimumLevel:Default"] = "Warning",
            ["Serilog:MinimumLevel:Override:Microsoft"] = "Warning",
            ["Serilog:MinimumLevel:Override:Microsoft.Hosting.Lifetime"] = "Warning",
            ["Serilog:MinimumLevel:Override:Yarp"] = "Warning",
        };
        builder.Configuration.AddInMemoryCollection(all);
        if (time is not null)
        {
            // Before AddWaitingRoom, whose TryAddSingleton(TimeProvider.System) then keeps this one.
            builder.Services.AddSingleton(time);
        }

        builder.AddWaitingRoom();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        if (builder.Services.Any(service => service.ServiceType == typeof(StoreAvailability)))
        {
            // The Redis store's: the last registration is the one resolved.
            builder.Services.AddSingleton(new StoreAvailability(TimeProvider.System, storeDeadline ?? LoadedMachineDeadline));
        }

        configureServices?.Invoke(builder.Services);
        var app = builder.Build();
        app.UseWaitingRoom();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ProxyInstance(app, new Uri(address));
    }

    /// <summary>
    /// Runs one promotion round now, at the clock's current time, and returns when it is done
    /// (the loop's own round on a tick may run as well: rounds are atomic in the store).
    /// </summary>
    public Task RunPromotionRoundAsync() =>
        _app.Services.GetServices<IHostedService>().OfType<PromotionService>().Single().RunRoundAsync(CancellationToken.None);

    /// <summary>Runs one step of the adaptive capacity's controller now, at the clock's current time.</summary>
    public Task RunAdaptiveStepAsync() =>
        _app.Services.GetServices<IHostedService>().OfType<WaitingRoom.Adaptive.AdaptiveCapacityService>().Single().RunOnceAsync(CancellationToken.None);

    /// <summary>A client that keeps cookies like a browser: one visitor.</summary>
    public HttpClient Visitor(CookieContainer? cookies = null) =>
        new(new SocketsHttpHandler { CookieContainer = cookies ?? new CookieContainer(), UseCookies = true, AllowAutoRedirect = false }) { BaseAddress = Address };

    /// <summary>A client that sends no cookies by itself: every request without a Cookie header is a new visitor.</summary>
    public HttpClient Anonymous() =>
        new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false, MaxConnectionsPerServer = 256 }) { BaseAddress = Address };

    /// <summary>
    /// GET with Accept: application/json; returns status code, body JSON (if any) and the Set-Cookie token.
    /// <paramref name="forwardedFor"/> plays a client address behind a trusted proxy (loopback is trusted by default).
    /// </summary>
    public static async Task<(HttpStatusCode Status, JsonElement? Json, string? Token, string Body)> GetJsonAsync(HttpClient client, string path, string? token = null, string? forwardedFor = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        if (token is not null)
        {
            request.Headers.Add("Cookie", "wr_token=" + token);
        }

        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        JsonElement? json = response.Content.Headers.ContentType?.MediaType == "application/json" ? JsonDocument.Parse(body).RootElement.Clone() : null;
        return (response.StatusCode, json, TokenOf(response) ?? token, body);
    }

    /// <summary>The wr_token value a response sets, if any.</summary>
    public static string? TokenOf(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Set-Cookie", out var cookies))
        {
            return null;
        }

        foreach (var cookie in cookies)
        {
            if (cookie.StartsWith("wr_token=", StringComparison.Ordinal))
            {
                return cookie["wr_token=".Length..cookie.IndexOf(';', StringComparison.Ordinal)];
            }
        }

        return null;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
