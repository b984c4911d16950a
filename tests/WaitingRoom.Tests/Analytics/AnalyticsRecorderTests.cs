using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using WaitingRoom.Analytics;
using WaitingRoom.Queue;
using WaitingRoom.Rooms;
using Xunit;

namespace WaitingRoom.Tests.Analytics;

/// <summary>The instance's counters and their flush, in virtual time against the in-memory store (and a store that fails as told).</summary>
public sealed class AnalyticsRecorderTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 3, 12, 0, 58, TimeSpan.Zero));

    private static readonly RoomPolicy s_room = new(RoomPolicy.DefaultName, 5, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(60));

    private static RoomTable Rooms() => new([new RoomSettings { MaxActive = 5 }]);

    private long Minute(int plus = 0) => _clock.GetUtcNow().ToUnixTimeMilliseconds() / 60_000 + plus;

    [Fact]
    public async Task Decided_EventsEitherSideOfAMinute_LandInTheirOwnMinutes()
    {
        // Arrange
        var recorder = new AnalyticsRecorder(_clock);
        var store = new InMemoryWaitingRoomStore(_clock);
        var flusher = new AnalyticsFlusher(recorder, store, Rooms(), _clock, NullLogger<AnalyticsFlusher>.Instance);
        var minute = Minute();

        // Act: at 12:00:58 one admitted straight away and one joining the line; at 12:01:00 one head admitted after 50 s.
        recorder.Decided(s_room.Name, new AdmissionResult(VisitorState.Active, 0, 0) { Admitted = true });
        recorder.Decided(s_room.Name, new AdmissionResult(VisitorState.Queued, 1, 1) { Joined = true });
        recorder.Decided(s_room.Name, new AdmissionResult(VisitorState.Queued, 1, 1));
        _clock.Advance(TimeSpan.FromSeconds(2));
        recorder.Decided(s_room.Name, new AdmissionResult(VisitorState.Active, 0, 0) { Admitted = true, WaitedMilliseconds = 50_000 });
        recorder.Sample(s_room.Name, new RoomCounts(1, 0, 4, 0), 5);
        await flusher.FlushAsync(default);
        var stored = await store.GetAnalyticsAsync(s_room, minute - 1, minute + 5, default);

        // Assert
        Assert.Equal([minute, minute + 1], stored.Select(m => m.Minute));
        Assert.Equal((2, 1), (stored[0].Arrivals, stored[0].Admitted));
        Assert.Equal((0, 1, 4, 5), (stored[1].Arrivals, stored[1].Admitted, stored[1].Queued, stored[1].Capacity));
        Assert.Equal(1, stored[1].TimeInQueue[DurationBuckets.IndexOf(50_000)]);
    }

    [Fact]
    public async Task Flush_StoreAppliesButTheAnswerIsLost_RetryCountsOnceAndLaterCountsFollow()
    {
        // Arrange: the store applies the first batch, then the call fails as a timeout would.
        var recorder = new AnalyticsRecorder(_clock);
        var store = new LosingAnswersStore(new InMemoryWaitingRoomStore(_clock)) { LoseNext = true };
        var flusher = new AnalyticsFlusher(recorder, store, Rooms(), _clock, NullLogger<AnalyticsFlusher>.Instance);
        recorder.Decided(s_room.Name, new AdmissionResult(VisitorState.Active, 0, 0) { Admitted = true });

        // Act
        await Assert.ThrowsAsync<StoreUnavailableException>(() => flusher.FlushAsync(default));
        recorder.Decided(s_room.Name, new AdmissionResult(VisitorState.Queued, 1, 1) { Joined = true });
        await flusher.FlushAsync(default);
        await flusher.FlushAsync(default);
        var stored = Assert.Single(await store.GetAnalyticsAsync(s_room, Minute(-1), Minute(1), default));

        // Assert
        Assert.Equal(2, stored.Arrivals);
        Assert.Equal(1, stored.Admitted);
        Assert.Equal(3, store.Calls);
    }

    [Fact]
    public async Task Flush_StoreDownForMinutes_CountsKeptAndAddedOnRecovery()
    {
        // Arrange
        var recorder = new AnalyticsRecorder(_clock);
        var store = new LosingAnswersStore(new InMemoryWaitingRoomStore(_clock)) { Down = true };
        var flusher = new AnalyticsFlusher(recorder, store, Rooms(), _clock, NullLogger<AnalyticsFlusher>.Instance);
        var first = Minute();

        // Act: one arrival in each of ten minutes while every flush fails, then the store is back.
        for (var i = 0; i < 10; i++)
        {
            recorder.Decided(s_room.Name, new AdmissionResult(VisitorState.Queued, 1, 1) { Joined = true });
            await Assert.ThrowsAsync<StoreUnavailableException>(() => flusher.FlushAsync(default));
            _clock.Advance(TimeSpan.FromMinutes(1));
        }

        store.Down = false;
        await flusher.FlushAsync(default);
        var stored = await store.GetAnalyticsAsync(s_room, first, first + 10, default);

        // Assert
        Assert.Equal(Enumerable.Range(0, 10).Select(i => first + i), stored.Select(m => m.Minute));
        Assert.All(stored, m => Assert.Equal(1, m.Arrivals));
    }

    [Fact]
    public async Task InMemoryStore_MinutesOlderThan30Days_AreForgotten()
    {
        // Arrange
        var store = new InMemoryWaitingRoomStore(_clock);
        var minute = Minute();
        await store.AddAnalyticsAsync(s_room, new AnalyticsBatch("a", 1, [new AnalyticsMinute(minute) { Arrivals = 1 }]), default);

        // Act
        _clock.Advance(AnalyticsBatch.Retention);
        var kept = await store.GetAnalyticsAsync(s_room, minute, minute + 1, default);
        _clock.Advance(TimeSpan.FromMinutes(1));
        var gone = await store.GetAnalyticsAsync(s_room, minute, minute + 1, default);

        // Assert
        Assert.Single(kept);
        Assert.Empty(gone);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(999, 0)]
    [InlineData(1000, 1)]
    [InlineData(1259, 1)]
    [InlineData(1260, 2)]
    [InlineData(long.MaxValue, DurationBuckets.Count - 1)]
    public void IndexOf_Durations_FallInTheirLogSpacedBucket(long milliseconds, int bucket)
    {
        Assert.Equal(bucket, DurationBuckets.IndexOf(milliseconds));
        Assert.InRange(milliseconds / 1000.0, DurationBuckets.LowerSeconds(bucket), bucket == DurationBuckets.Count - 1 ? double.MaxValue : DurationBuckets.UpperSeconds(bucket));
    }

    /// <summary>Forwards to a real store, but can be down (fails before applying) or lose the next answer (fails after applying).</summary>
    private sealed class LosingAnswersStore(IWaitingRoomStore inner) : IWaitingRoomStore
    {
        public bool Down { get; set; }

        public bool LoseNext { get; set; }

        public int Calls { get; private set; }

        public string Kind => inner.Kind;

        public async Task<bool> AddAnalyticsAsync(RoomPolicy room, AnalyticsBatch batch, CancellationToken cancellationToken)
        {
            Calls++;
            if (Down)
            {
                throw new StoreUnavailableException("down");
            }

            var applied = await inner.AddAnalyticsAsync(room, batch, cancellationToken);
            if (LoseNext)
            {
                LoseNext = false;
                throw new StoreUnavailableException("answer lost");
            }

            return applied;
        }

        public Task<IReadOnlyList<AnalyticsMinute>> GetAnalyticsAsync(RoomPolicy room, long fromMinute, long toMinute, CancellationToken cancellationToken) =>
            inner.GetAnalyticsAsync(room, fromMinute, toMinute, cancellationToken);

        public Task<AdmissionResult> AdmitAsync(RoomPolicy room, string visitorId, string? clientKey, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<AdmissionResult> AdmitKnownAsync(RoomPolicy room, string visitorId, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<AdmissionResult> GetStatusAsync(RoomPolicy room, string visitorId, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<PromotionResult> PromoteAsync(RoomPolicy room, int limit, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<bool> ReleaseAsync(RoomPolicy room, string visitorId, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<string>> TouchAsync(RoomPolicy room, IReadOnlyList<string> visitorIds, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<CapacityState> GetCapacityAsync(RoomPolicy room, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<CapacityState?> TrySetCapacityAsync(RoomPolicy room, CapacityChange change, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<CapacityChangeRecord>> GetCapacityChangesAsync(RoomPolicy room, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<string>> ShareWindowAsync(RoomPolicy room, string instance, string window, TimeSpan maxAge, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<QueueSnapshot> GetQueueSnapshotAsync(RoomPolicy room, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<RoomCounts> GetCountsAsync(RoomPolicy room, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<long> ResetQueueAsync(RoomPolicy room, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<string?> GetDocumentAsync(string name, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<bool> TrySetDocumentAsync(string name, string? expected, string value, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<string> GetOrCreateSecretAsync(string candidate, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task PingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<StateTransition> RecordTransitionAsync(RoomPolicy room, string subject, string state, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<bool> CreateCodeAsync(RoomPolicy room, WaitingRoom.Codes.AccessCode code, int maxCodes, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<WaitingRoom.Codes.AccessCode>> ListCodesAsync(RoomPolicy room, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<WaitingRoom.Codes.AccessCode?> RevokeCodeAsync(RoomPolicy room, string id, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<WaitingRoom.Codes.CodeRedemption> RedeemCodeAsync(RoomPolicy room, string id, string hash, string visitorId, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
