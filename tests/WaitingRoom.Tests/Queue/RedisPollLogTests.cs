using Microsoft.Extensions.Time.Testing;
using WaitingRoom.Queue;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.Queue;

/// <summary>
/// What the Redis store keeps for its waiters besides the queue: the poll log of recent
/// generations, a few small entries per waiter, removed as their generations are swept or the
/// queue is reset, so memory stays proportional to the waiters and nothing is left behind.
/// </summary>
public sealed class RedisPollLogTests
{
    private static readonly RoomPolicy s_room = new("default", 1, TimeSpan.FromDays(1), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(20));

    private readonly FakeTimeProvider _clock = new();
    private readonly string _prefix = RedisServer.NewPrefix();
    private readonly RedisWaitingRoomStore _store;
    private readonly RoomKeys _keys;

    public RedisPollLogTests()
    {
        _store = new RedisWaitingRoomStore(RedisServer.Shared.Connection, _clock, _prefix, RedisServer.PatientAvailability());
        _keys = new RoomKeys(_prefix, s_room.Name);
    }

    [Fact]
    public async Task Promote_WaitersPollForManyGenerations_KeepAtMostThreeLogEntriesEach()
    {
        // Arrange
        await FillAsync(100);

        // Act: everyone polls every 7 s for 4 minutes (16 generations), with a promotion round after each poll.
        var most = 0L;
        for (var step = 0; step < 35; step++)
        {
            _clock.Advance(TimeSpan.FromSeconds(7));
            await PollAllAsync(100);
            await _store.PromoteAsync(s_room, 2000, default);
            most = Math.Max(most, await LogEntriesAsync());
        }

        // Assert
        Assert.InRange(most, 200, 300);
        Assert.InRange(LogGenerations().Count, 2, 3);
        Assert.Equal(100, (await _store.GetCountsAsync(s_room, default)).Queued);
    }

    [Fact]
    public async Task Promote_EveryWaiterStopsPolling_LeavesNoPollLogs()
    {
        // Arrange: polls over a few generations, then silence.
        await FillAsync(50);
        for (var step = 0; step < 5; step++)
        {
            _clock.Advance(TimeSpan.FromSeconds(10));
            await PollAllAsync(50);
        }

        // Act
        _clock.Advance(s_room.QueueTtl + TimeSpan.FromMilliseconds(QueueScores.GenerationWidth(s_room.QueueTtl)));
        long abandoned = 0;
        PromotionResult round;
        do
        {
            round = await _store.PromoteAsync(s_room, 20, default);
            abandoned += round.Abandoned;
        }
        while (round.HasMore);

        // Assert
        Assert.Equal(50, abandoned);
        Assert.Empty(LogGenerations());
        Assert.False(await RedisServer.Shared.Connection.GetDatabase().KeyExistsAsync(_keys.PollLog));
        Assert.Equal(0, (await _store.GetCountsAsync(s_room, default)).Queued);
    }

    [Fact]
    public async Task ResetQueue_WaitersInSeveralGenerations_RemovesTheirGenerationsAndLogs()
    {
        // Arrange
        await FillAsync(30);
        for (var step = 0; step < 3; step++)
        {
            _clock.Advance(TimeSpan.FromSeconds(16));
            await PollAllAsync(30);
        }

        Assert.NotEmpty(LogGenerations());

        // Act
        var removed = await _store.ResetQueueAsync(s_room, default);
        var newcomer = await _store.AdmitAsync(s_room, "newcomer", null, default);

        // Assert
        Assert.Equal(30, removed);
        Assert.Equal(new AdmissionResult(VisitorState.Queued, 1, 1), newcomer);
        Assert.Equal([0L], LogGenerations());
        Assert.Equal(1, await RedisServer.Shared.Connection.GetDatabase().ListLengthAsync(_keys.PollLog));
    }

    private async Task FillAsync(int waiters)
    {
        await _store.AdmitAsync(s_room, "holder", null, default);
        for (var i = 0; i < waiters; i++)
        {
            Assert.Equal(VisitorState.Queued, (await _store.AdmitAsync(s_room, Waiter(i), null, default)).State);
        }
    }

    private async Task PollAllAsync(int waiters)
    {
        for (var i = 0; i < waiters; i++)
        {
            Assert.Equal(VisitorState.Queued, (await _store.GetStatusAsync(s_room, Waiter(i), default)).State);
        }
    }

    private static string Waiter(int i) => $"waiter-{i:D4}";

    /// <summary>The generations (g) that have entries in the poll log, in the log's order.</summary>
    private List<long> LogGenerations()
    {
        var entries = RedisServer.Shared.Connection.GetDatabase().ListRange(_keys.PollLog);
        return entries.Select(e => (((long)e % 256) + 256) % 256).Distinct().ToList();
    }

    private async Task<long> LogEntriesAsync() => await RedisServer.Shared.Connection.GetDatabase().ListLengthAsync(_keys.PollLog);
}
