using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.EndToEnd;

/// <summary>
/// The arrangement the end-to-end tests of queue modes, room policies, rooms and events share: a
/// test backend, a fresh Redis prefix, one proxy in front of the backend (release interval 0.2 s
/// unless the test changes it) and a cookieless client that plays visitors with X-Forwarded-For.
/// </summary>
internal sealed class RoomUnderTest : IAsyncDisposable
{
    private RoomUnderTest(TestBackend backend, string prefix, Dictionary<string, string?> settings, ProxyInstance proxy, FakeTimeProvider? clock)
    {
        Clock = clock;
        Backend = backend;
        Prefix = prefix;
        Settings = settings;
        Proxy = proxy;
        Client = proxy.Anonymous();
    }

    public TestBackend Backend { get; }

    /// <summary>The Redis key prefix of this test alone.</summary>
    public string Prefix { get; }

    /// <summary>The settings the proxy started with (to start more instances of the same room).</summary>
    public Dictionary<string, string?> Settings { get; }

    public ProxyInstance Proxy { get; }

    /// <summary>The room's clock when it runs in virtual time (see <see cref="AdvanceAsync"/>); null on real time.</summary>
    public FakeTimeProvider? Clock { get; }

    public HttpClient Client { get; }

    /// <summary>
    /// Starts the backend and the proxy with WR_MAX_ACTIVE <paramref name="maxActive"/>; <paramref name="configure"/>
    /// changes or adds settings before the proxy starts; <paramref name="services"/> adds services to it (a log capture).
    /// </summary>
    /// <remarks>
    /// With <paramref name="clock"/> the room runs in virtual time: expiry, rate windows, events
    /// and the promotion loop follow the clock only, moved by <see cref="AdvanceAsync"/>.
    /// </remarks>
    public static async Task<RoomUnderTest> StartAsync(
        int maxActive,
        Action<Dictionary<string, string?>>? configure = null,
        FakeTimeProvider? clock = null,
        Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? services = null)
    {
        var backend = await TestBackend.StartAsync();
        try
        {
            var prefix = RedisServer.NewPrefix();
            var settings = RedisServer.Shared.Settings(prefix);
            settings["WR_BACKEND_URL"] = backend.Address.ToString();
            settings["WR_MAX_ACTIVE"] = maxActive.ToString(CultureInfo.InvariantCulture);
            settings["WR_RELEASE_INTERVAL"] = "0.2";
            configure?.Invoke(settings);
            var proxy = await ProxyInstance.StartAsync(settings, services, time: clock);
            return new RoomUnderTest(backend, prefix, settings, proxy, clock);
        }
        catch
        {
            await backend.DisposeAsync();
            throw;
        }
    }

    /// <summary>A virtual-time room's clock: fresh at the real time now, so every date it reads is plausible.</summary>
    public static FakeTimeProvider NewClock() => new(TimeProvider.System.GetUtcNow());

    /// <summary>Another instance of the same room (same settings, same clock).</summary>
    public Task<ProxyInstance> StartInstanceAsync() => ProxyInstance.StartAsync(Settings, time: Clock);

    /// <summary>
    /// Moves the virtual clock by <paramref name="by"/>, then runs one promotion round at the new
    /// time on <paramref name="instances"/> (this room's proxy when none is given) and returns
    /// once they are done, so what the round decided is in the store.
    /// </summary>
    public async Task AdvanceAsync(TimeSpan by, params ProxyInstance[] instances)
    {
        var clock = Clock ?? throw new InvalidOperationException("the room runs on real time");
        clock.Advance(by);
        foreach (var instance in instances.Length == 0 ? [Proxy] : instances)
        {
            await instance.RunPromotionRoundAsync();
        }
    }

    /// <summary>GET <paramref name="path"/> through the proxy with this room's client (see <see cref="Visit.GetAsync"/>).</summary>
    public Task<VisitAnswer> GetAsync(
        string path,
        string? token = null,
        string? forwardedFor = null,
        string accept = "application/json",
        IReadOnlyDictionary<string, string>? headers = null) =>
        Visit.GetAsync(Client, path, token, forwardedFor, accept, headers);

    /// <summary>The caller's JSON status in a room (the default room when <paramref name="room"/> is null).</summary>
    public Task<VisitAnswer> StatusAsync(string token, string? room = null) => Visit.StatusAsync(Client, token, room);

    /// <summary>ZCARD of one of a room's sorted sets (active, released, queue, admits, ...).</summary>
    public Task<long> CountAsync(string set, string room = "default") => RoomStore.CountAsync(Prefix, room, set);

    /// <summary>Active plus released-not-yet-arrived in a room.</summary>
    public Task<long> UsedAsync(string room = "default") => RoomStore.UsedAsync(Prefix, room);

    /// <summary>
    /// A first visitor from <paramref name="forwardedFor"/> comes in; the test fails unless the visitor
    /// reached the backend (with WR_MAX_ACTIVE 1, it now holds the only slot).
    /// </summary>
    public async Task<VisitAnswer> TakeOnlySlotAsync(string forwardedFor)
    {
        var holder = await GetAsync("/echo", forwardedFor: forwardedFor);
        Assert.True(holder.ReachedBackend, holder.Body);
        return holder;
    }

    /// <summary>
    /// A (198.51.100.1) takes the only slot and B (198.51.100.2) queues behind it; the test fails
    /// unless A reached the backend and B is queued.
    /// </summary>
    public async Task<(VisitAnswer A, VisitAnswer B)> HolderAndWaiterAsync()
    {
        var a = await GetAsync("/echo", forwardedFor: "198.51.100.1");
        var b = await GetAsync("/echo", forwardedFor: "198.51.100.2");
        Assert.True(a.ReachedBackend, a.Body);
        Assert.Equal("queued", b.State);
        return (a, b);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Proxy.DisposeAsync();
        await Backend.DisposeAsync();
    }
}
