using Microsoft.Extensions.Time.Testing;
using System.Globalization;
using WaitingRoom.Queue;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.Queue;

/// <summary>
/// The admission cache in front of the real Redis store: an active visitor's requests cost no
/// round trip, and still every invariant holds (only the store admits, revocation and idle
/// expiry within the cache's lifetime). Redis commands are counted on a server of its own.
/// </summary>
public sealed class AdmissionCacheTests : IDisposable
{
    private static readonly TimeSpan s_interval = TimeSpan.FromSeconds(2);

    private readonly RedisServer _server = RedisServer.StartPrivate();
    private readonly FakeTimeProvider _clock = new();
    private readonly RedisWaitingRoomStore _store;
    private readonly AdmissionCache _cache;
    private readonly RoomPolicy _room = new("default", 1, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(60));

    public AdmissionCacheTests()
    {
        _store = new RedisWaitingRoomStore(_server.Connection, _clock, RedisServer.NewPrefix(), RedisServer.PatientAvailability());
        _cache = new AdmissionCache(_store, _clock, s_interval);
    }

    public void Dispose() => _server.Stop();

    [Fact]
    public void Lifetime_HalfTheIntervalAtMostOneSecond()
    {
        Assert.Equal(TimeSpan.FromSeconds(1), _cache.Lifetime);
        Assert.Equal(TimeSpan.FromMilliseconds(500), _cache.FlushInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(150), AdmissionCache.LifetimeFor(TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    public async Task Admit_ActiveVisitorAgain_NoRedisCommandAndOneBatchedRefreshForMany()
    {
        var room = _room with { MaxActive = 100 };
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(VisitorState.Active, (await _cache.AdmitAsync(room, Visitor(i), null, default)).State);
        }

        _server.Command("CONFIG RESETSTAT");
        _clock.Advance(TimeSpan.FromMilliseconds(100));
        for (var round = 0; round < 10; round++)
        {
            for (var i = 0; i < 50; i++)
            {
                Assert.Equal(VisitorState.Active, (await _cache.AdmitAsync(room, Visitor(i), null, default)).State);
            }
        }

        var scriptsDuringRequests = ScriptCalls();
        _clock.Advance(TimeSpan.FromMilliseconds(300));
        await _cache.FlushAsync(default);

        Assert.Equal(0, scriptsDuringRequests);
        Assert.Equal(1, ScriptCalls());
        Assert.Equal(50, _cache.Count);
    }

    [Fact]
    public async Task Flush_VisitorReleasedElsewhere_NextRequestDecidedByTheStore()
    {
        await _cache.AdmitAsync(_room, "holder", null, default);
        await _cache.AdmitAsync(_room, "waiter", null, default);

        // Another instance (here: the store directly) ends the holder's session; the waiter is promoted.
        await _store.ReleaseAsync(_room, "holder", default);
        await _store.PromoteAsync(_room, 10, default);
        var beforeFlush = await _cache.AdmitAsync(_room, "holder", null, default);
        _clock.Advance(TimeSpan.FromMilliseconds(100));
        await _cache.FlushAsync(default);
        var afterFlush = await _cache.AdmitAsync(_room, "holder", null, default);

        // Within the lifetime the cache still let it through; after the flush the store decides:
        // the slot is the promoted waiter's, so the holder queues behind nobody and waits.
        Assert.Equal(VisitorState.Active, beforeFlush.State);
        Assert.Equal(VisitorState.Queued, afterFlush.State);
        Assert.Equal(1, (await _store.GetCountsAsync(_room, default)).Released);
    }

    [Fact]
    public async Task Flusher_OneFlushIntervalOnTheClock_FlushesWithoutAnyCallByTheTest()
    {
        // Arrange: the holder is cached, then released elsewhere; the flusher's timer runs on the fake clock.
        await _cache.AdmitAsync(_room, "holder", null, default);
        await _cache.AdmitAsync(_room, "holder", null, default);
        using var flusher = new AdmissionCacheFlusher(_cache, _clock, Microsoft.Extensions.Logging.Abstractions.NullLogger<AdmissionCacheFlusher>.Instance);
        await flusher.StartAsync(default);
        await _store.ReleaseAsync(_room, "holder", default);

        // Act: one tick of the flusher forgets the visitor the store no longer holds active.
        _clock.Advance(_cache.FlushInterval);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (_cache.Count > 0)
        {
            await Task.Delay(1, timeout.Token);
        }

        await flusher.StopAsync(default);

        // Assert
        Assert.Equal(0, _cache.Count);
        Assert.True(flusher.ExecuteTask!.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task Admit_EntryPastItsLifetimeWithoutFlush_GoesToTheStore()
    {
        await _cache.AdmitAsync(_room, "holder", null, default);
        await _cache.AdmitAsync(_room, "waiter", null, default);
        await _store.ReleaseAsync(_room, "holder", default);
        await _store.PromoteAsync(_room, 10, default);

        _clock.Advance(_cache.Lifetime);
        var after = await _cache.AdmitAsync(_room, "holder", null, default);

        Assert.Equal(VisitorState.Queued, after.State);
    }

    [Fact]
    public async Task Release_ThroughTheCache_ForgetsTheVisitorAtOnce()
    {
        await _cache.AdmitAsync(_room, "holder", null, default);
        await _cache.AdmitAsync(_room, "waiter", null, default);

        Assert.True(await _cache.ReleaseAsync(_room, "holder", default));
        var again = await _cache.AdmitAsync(_room, "holder", null, default);

        Assert.Equal(VisitorState.Queued, again.State);
        Assert.Equal(0, _cache.Count);
    }

    [Fact]
    public async Task Flush_RequestsFromMemory_KeepTheVisitorFromIdleExpiry()
    {
        await _cache.AdmitAsync(_room, "holder", null, default);
        await _cache.AdmitAsync(_room, "waiter", null, default);

        // Requests every 0.4 s for 70 s (past the 60 s TTL), each flush writing last-seen back.
        for (var t = TimeSpan.Zero; t < TimeSpan.FromSeconds(70); t += TimeSpan.FromMilliseconds(400))
        {
            _clock.Advance(TimeSpan.FromMilliseconds(400));
            Assert.Equal(VisitorState.Active, (await _cache.AdmitAsync(_room, "holder", null, default)).State);
            await _cache.FlushAsync(default);
        }

        var round = await _store.PromoteAsync(_room, 10, default);

        Assert.Equal(0, round.ExpiredActive);
        Assert.Equal(VisitorState.Active, (await _store.GetStatusAsync(_room, "holder", default)).State);
    }

    [Fact]
    public async Task Flush_VisitorStopsComing_ExpiresAfterTheTtlAsWithoutTheCache()
    {
        await _cache.AdmitAsync(_room, "holder", null, default);
        await _cache.AdmitAsync(_room, "waiter", null, default);
        await _cache.FlushAsync(default);
        _clock.Advance(TimeSpan.FromSeconds(30));
        await _store.GetStatusAsync(_room, "waiter", default);

        _clock.Advance(TimeSpan.FromSeconds(31));
        await _cache.FlushAsync(default);
        var round = await _store.PromoteAsync(_room, 10, default);

        Assert.Equal(1, round.ExpiredActive);
        Assert.Equal(1, round.Promoted);
        Assert.Equal(0, _cache.Count);
    }

    [Fact]
    public async Task Admit_PolicyChanged_DecidedByTheStoreUnderTheNewPolicy()
    {
        await _cache.AdmitAsync(_room, "holder", null, default);
        var queueAll = _room with { Mode = QueueMode.QueueAll };

        var result = await _cache.AdmitAsync(queueAll, "holder", null, default);

        // Queue-all pushes even active visitors back into the line: the store's rule, not the cache's memory.
        Assert.Equal(VisitorState.Queued, result.State);
    }

    [Fact]
    public async Task Admit_RoomWithVeryShortActiveTtl_NotCached()
    {
        var room = _room with { ActiveTtl = TimeSpan.FromMilliseconds(30) };
        await _cache.AdmitAsync(room, "holder", null, default);

        Assert.Equal(0, _cache.Count);
    }

    private static string Visitor(int n) => "visitor-" + n.ToString("D3", CultureInfo.InvariantCulture);

    private long ScriptCalls()
    {
        var stats = _server.Command("INFO commandstats");
        return stats.Split('\n')
            .Where(line => line.StartsWith("cmdstat_evalsha:", StringComparison.Ordinal) || line.StartsWith("cmdstat_eval:", StringComparison.Ordinal))
            .Sum(line => long.Parse(line.Split(':')[1].Split(',')[0]["calls=".Length..], CultureInfo.InvariantCulture));
    }
}
