using Microsoft.Extensions.Time.Testing;
using WaitingRoom.Analytics;
using WaitingRoom.Queue;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.Analytics;

/// <summary>What the Redis store alone does for analytics: each minute's hash expires 30 days after the minute ends; the ticket clock stays small.</summary>
public sealed class RedisAnalyticsTests
{
    private readonly FakeTimeProvider _clock = new(TimeProvider.System.GetUtcNow());
    private readonly string _prefix = RedisServer.NewPrefix();

    private static readonly RoomPolicy s_room = new(RoomPolicy.DefaultName, 1, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(60));

    private RedisWaitingRoomStore Store() => new(RedisServer.Shared.Connection, _clock, _prefix, RedisServer.PatientAvailability());

    [Fact]
    public async Task AddAnalytics_MinuteHash_ExpiresThirtyDaysAfterTheMinuteEnds()
    {
        // Arrange
        var store = Store();
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        var minute = now / 60_000 - 10;

        // Act
        await store.AddAnalyticsAsync(s_room, new AnalyticsBatch("a", 1, [new AnalyticsMinute(minute) { Arrivals = 1 }]), default);
        var ttl = await RedisServer.Shared.Connection.GetDatabase().KeyTimeToLiveAsync($"{_prefix}:{{default}}:stats:{minute}");

        // Assert: the key's TTL is what remains of 30 days after the minute's end (a few seconds of test time aside).
        var expected = TimeSpan.FromMilliseconds((minute + 1) * 60_000 + (long)AnalyticsBatch.Retention.TotalMilliseconds - now);
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, expected - TimeSpan.FromSeconds(30), expected);
    }

    [Fact]
    public async Task Promote_QueueEmptied_TicketClockKeepsNoSampleBehind()
    {
        // Arrange: five waiters behind one visitor; rounds sample the clock while they wait.
        var store = Store();
        var room = s_room with { MaxActive = 1 };
        for (var i = 0; i < 6; i++)
        {
            await store.AdmitAsync(room, $"visitor-{i}", null, default);
            _clock.Advance(TimeSpan.FromSeconds(1));
            await store.PromoteAsync(room, 10, default);
        }

        var database = RedisServer.Shared.Connection.GetDatabase();
        var sampled = await database.SortedSetLengthAsync($"{_prefix}:{{default}}:clock");

        // Act: the room grows to six slots and the whole line is released.
        var released = await store.PromoteAsync(room with { MaxActive = 6 }, 10, default);
        var left = await database.SortedSetLengthAsync($"{_prefix}:{{default}}:clock");

        // Assert
        Assert.Equal(5, sampled);
        Assert.Equal(5, released.Promoted);
        Assert.Equal(5, released.Waits.Count);
        Assert.Equal(0, left);
    }
}
