using WaitingRoom.Codes;
using WaitingRoom.Queue;
using Xunit;

namespace WaitingRoom.Tests.Queue;

/// <summary>Access codes: the records, the one atomic redemption, and the skip and priority lanes of the queue.</summary>
public abstract partial class StoreConformanceTests
{
    private AccessCode NewCode(string id, CodeLane lane, int uses, TimeSpan? life = null) =>
        new(id, "hash-" + id, lane, uses, 0, Clock.GetUtcNow() + (life ?? TimeSpan.FromHours(1)), Clock.GetUtcNow(), Revoked: false);

    private async Task<AccessCode> CreateCodeAsync(IWaitingRoomStore store, RoomPolicy room, string id, CodeLane lane, int uses, TimeSpan? life = null)
    {
        var code = NewCode(id, lane, uses, life);
        Assert.True(await store.CreateCodeAsync(room, code, 100, default));
        return code;
    }

    /// <summary>Promotion rounds; after each, who was released takes the slot and leaves again (capacity checked every round).</summary>
    private static async Task<List<string>> PromoteAllAsync(IWaitingRoomStore store, RoomPolicy room, int rounds)
    {
        var order = new List<string>();
        for (var i = 0; i < rounds; i++)
        {
            var result = await store.PromoteAsync(room, 10, default);
            Assert.True(result.Promoted <= 1);
            var counts = await store.GetCountsAsync(room, default);
            Assert.True(counts.Active + counts.Released <= room.MaxActive);
            order.AddRange(await ReleasedVisitorsAsync(store, room, order));
        }

        return order;
    }

    /// <summary>Who of the queue was released since: found by asking each remaining visitor's status (Released), then letting the slot go.</summary>
    private static async Task<List<string>> ReleasedVisitorsAsync(IWaitingRoomStore store, RoomPolicy room, List<string> already)
    {
        var found = new List<string>();
        for (var n = 0; n < 20; n++)
        {
            var visitor = Visitor(n);
            if (!already.Contains(visitor) && (await store.GetStatusAsync(room, visitor, default)).State == VisitorState.Released)
            {
                found.Add(visitor);
                await store.AdmitAsync(room, visitor, null, default);
                await store.ReleaseAsync(room, visitor, default);
            }
        }

        return found;
    }

    [Fact]
    public async Task CreateCode_ListAndRevoke_ShowUsesAndNeverTheCode()
    {
        // Arrange
        var store = CreateStore();
        var room = Room(1);
        await CreateCodeAsync(store, room, "aaaaaaaaaa", CodeLane.Skip, 3);
        Clock.Advance(TimeSpan.FromSeconds(1));
        await CreateCodeAsync(store, room, "bbbbbbbbbb", CodeLane.Priority, 5);

        // Act
        var redeemed = await store.RedeemCodeAsync(room, "bbbbbbbbbb", "hash-bbbbbbbbbb", Visitor(1), default);
        var revoked = await store.RevokeCodeAsync(room, "aaaaaaaaaa", default);
        var unknown = await store.RevokeCodeAsync(room, "cccccccccc", default);
        var duplicate = await store.CreateCodeAsync(room, NewCode("bbbbbbbbbb", CodeLane.Skip, 1), 100, default);
        var list = await store.ListCodesAsync(room, default);

        // Assert
        Assert.Equal(CodeRedemption.Accepted, redeemed);
        Assert.True(revoked!.Revoked);
        Assert.Null(unknown);
        Assert.False(duplicate);
        Assert.Equal(["bbbbbbbbbb", "aaaaaaaaaa"], list.Select(c => c.Id));
        Assert.Equal((CodeLane.Priority, 5, 1, false), (list[0].Lane, list[0].Uses, list[0].Used, list[0].Revoked));
        Assert.Equal((CodeLane.Skip, 3, 0, true), (list[1].Lane, list[1].Uses, list[1].Used, list[1].Revoked));
        Assert.Equal(Clock.GetUtcNow().AddSeconds(-1).ToUnixTimeMilliseconds(), list[1].CreatedAt.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task CreateCode_RoomAtItsCap_IsRefusedUntilOldCodesAreForgotten()
    {
        // Arrange
        var store = CreateStore();
        var room = Room(1);
        Assert.True(await store.CreateCodeAsync(room, NewCode("aaaaaaaaaa", CodeLane.Skip, 1, TimeSpan.FromMinutes(1)), 2, default));
        Assert.True(await store.CreateCodeAsync(room, NewCode("bbbbbbbbbb", CodeLane.Skip, 1, TimeSpan.FromDays(30)), 2, default));

        // Act
        var full = await store.CreateCodeAsync(room, NewCode("cccccccccc", CodeLane.Skip, 1), 2, default);
        Clock.Advance(TimeSpan.FromMinutes(1) + AccessCode.Retention);
        var later = await store.CreateCodeAsync(room, NewCode("cccccccccc", CodeLane.Skip, 1), 2, default);
        var list = await store.ListCodesAsync(room, default);

        // Assert
        Assert.False(full);
        Assert.True(later);
        Assert.Equal(["cccccccccc", "bbbbbbbbbb"], list.Select(c => c.Id));
    }

    [Fact]
    public async Task RedeemCode_UsesAndRepeats_CountsEachVisitorOnceAndNeverPastTheUses()
    {
        // Arrange
        var store = CreateStore();
        var room = Room(1);
        await store.AdmitAsync(room, Visitor(0), null, default);
        await CreateCodeAsync(store, room, "aaaaaaaaaa", CodeLane.Priority, 2);

        // Act
        var first = await store.RedeemCodeAsync(room, "aaaaaaaaaa", "hash-aaaaaaaaaa", Visitor(1), default);
        var again = await store.RedeemCodeAsync(room, "aaaaaaaaaa", "hash-aaaaaaaaaa", Visitor(1), default);
        var second = await store.RedeemCodeAsync(room, "aaaaaaaaaa", "hash-aaaaaaaaaa", Visitor(2), default);
        var third = await store.RedeemCodeAsync(room, "aaaaaaaaaa", "hash-aaaaaaaaaa", Visitor(3), default);
        var active = await store.RedeemCodeAsync(room, "aaaaaaaaaa", "hash-aaaaaaaaaa", Visitor(0), default);
        var list = await store.ListCodesAsync(room, default);

        // Assert
        Assert.Equal(
            [CodeRedemption.Accepted, CodeRedemption.AlreadyRedeemed, CodeRedemption.Accepted, CodeRedemption.UsedUp, CodeRedemption.NotNeeded],
            new[] { first, again, second, third, active });
        Assert.Equal(2, list[0].Used);
        Assert.Equal(VisitorState.Unknown, (await store.GetStatusAsync(room, Visitor(3), default)).State);
        Assert.Equal(new AdmissionResult(VisitorState.Queued, 2, 2), await store.GetStatusAsync(room, Visitor(2), default));
    }

    [Fact]
    public async Task RedeemCode_InvalidRevokedOrExpired_ChangesNothing()
    {
        // Arrange
        var store = CreateStore();
        var room = Room(1);
        await store.AdmitAsync(room, Visitor(0), null, default);
        await store.AdmitAsync(room, Visitor(1), null, default);
        await store.AdmitAsync(room, Visitor(2), null, default);
        await CreateCodeAsync(store, room, "aaaaaaaaaa", CodeLane.Skip, 5);
        await CreateCodeAsync(store, room, "bbbbbbbbbb", CodeLane.Skip, 5, TimeSpan.FromSeconds(5));
        await store.RevokeCodeAsync(room, "aaaaaaaaaa", default);
        await PassTimeAsync(store, room, TimeSpan.FromSeconds(5), [1, 2]);

        // Act
        var outcomes = new[]
        {
            await store.RedeemCodeAsync(room, "cccccccccc", "hash-cccccccccc", Visitor(2), default),
            await store.RedeemCodeAsync(room, "bbbbbbbbbb", "hash-wrong", Visitor(2), default),
            await store.RedeemCodeAsync(room, "aaaaaaaaaa", "hash-aaaaaaaaaa", Visitor(2), default),
            await store.RedeemCodeAsync(room, "bbbbbbbbbb", "hash-bbbbbbbbbb", Visitor(2), default),
        };

        // Assert
        Assert.Equal([CodeRedemption.Invalid, CodeRedemption.Invalid, CodeRedemption.Revoked, CodeRedemption.Expired], outcomes);
        Assert.Equal(new AdmissionResult(VisitorState.Queued, 2, 2), await store.GetStatusAsync(room, Visitor(2), default));
        Assert.All(await store.ListCodesAsync(room, default), c => Assert.Equal(0, c.Used));
    }

    [Fact]
    public async Task RedeemCode_SkipAndPriority_LanesGoFirstInTheirOwnOrderAndGeneralPositionsNeverRise()
    {
        // Arrange: one slot, taken; two general waiters.
        var store = CreateStore();
        var room = Room(1);
        await store.AdmitAsync(room, Visitor(0), null, default);
        await store.AdmitAsync(room, Visitor(1), null, default);
        await store.AdmitAsync(room, Visitor(2), null, default);
        await CreateCodeAsync(store, room, "pppppppppp", CodeLane.Priority, 10);
        await CreateCodeAsync(store, room, "ssssssssss", CodeLane.Skip, 10);

        // Act: two priority holders, then a skip holder, then a general waiter who holds priority later.
        await store.RedeemCodeAsync(room, "pppppppppp", "hash-pppppppppp", Visitor(3), default);
        await store.RedeemCodeAsync(room, "pppppppppp", "hash-pppppppppp", Visitor(4), default);
        var priorityBeforeSkip = await store.GetStatusAsync(room, Visitor(4), default);
        await store.RedeemCodeAsync(room, "ssssssssss", "hash-ssssssssss", Visitor(5), default);
        var general = new[] { await store.GetStatusAsync(room, Visitor(1), default), await store.GetStatusAsync(room, Visitor(2), default) };
        var priority = await store.GetStatusAsync(room, Visitor(4), default);
        var skip = await store.GetStatusAsync(room, Visitor(5), default);
        await store.ReleaseAsync(room, Visitor(0), default);
        var order = await PromoteAllAsync(store, room, 5);

        // Assert
        Assert.Equal(new AdmissionResult(VisitorState.Queued, 1, 5), general[0]);
        Assert.Equal(new AdmissionResult(VisitorState.Queued, 2, 5), general[1]);
        Assert.Equal(2, priorityBeforeSkip.Position);
        Assert.Equal(2, priority.Position);
        Assert.Equal(1, skip.Position);
        Assert.Equal([Visitor(5), Visitor(3), Visitor(4), Visitor(1), Visitor(2)], order);
    }

    [Fact]
    public async Task RedeemCode_SkipHolder_IsAdmittedAtTheNextFreeSlotAheadOfWaiters()
    {
        // Arrange
        var store = CreateStore();
        var room = Room(1);
        await store.AdmitAsync(room, Visitor(0), null, default);
        await store.AdmitAsync(room, Visitor(1), null, default);
        await CreateCodeAsync(store, room, "ssssssssss", CodeLane.Skip, 1);
        await store.RedeemCodeAsync(room, "ssssssssss", "hash-ssssssssss", Visitor(2), default);

        // Act
        var whileFull = await store.AdmitAsync(room, Visitor(2), null, default);
        await store.ReleaseAsync(room, Visitor(0), default);
        var waiter = await store.AdmitAsync(room, Visitor(1), null, default);
        var holder = await store.AdmitAsync(room, Visitor(2), null, default);
        var counts = await store.GetCountsAsync(room, default);

        // Assert
        Assert.Equal(new AdmissionResult(VisitorState.Queued, 1, 2), whileFull);
        Assert.Equal(new AdmissionResult(VisitorState.Queued, 1, 2), waiter);
        Assert.Equal(VisitorState.Active, holder.State);
        Assert.Equal(new RoomCounts(1, 0, 1, 0), Occupancy(counts));
    }

    [Fact]
    public async Task RedeemCode_RandomMode_CodeHoldersAreNeverDrawn()
    {
        // Arrange
        var store = CreateStore();
        var room = Room(1) with { Mode = QueueMode.Random };
        await store.AdmitAsync(room, Visitor(0), null, default);
        for (var i = 1; i <= 8; i++)
        {
            await store.AdmitAsync(room, Visitor(i), null, default);
        }

        await CreateCodeAsync(store, room, "pppppppppp", CodeLane.Priority, 5);
        await store.RedeemCodeAsync(room, "pppppppppp", "hash-pppppppppp", Visitor(9), default);
        await store.RedeemCodeAsync(room, "pppppppppp", "hash-pppppppppp", Visitor(10), default);
        await store.ReleaseAsync(room, Visitor(0), default);

        // Act
        var order = await PromoteAllAsync(store, room, 2);

        // Assert
        Assert.Equal([Visitor(9), Visitor(10)], order);
    }

    [Fact]
    public async Task RedeemCode_ManyAtOnce_CountsExactlyTheUses()
    {
        // Arrange
        var store = CreateStore();
        var room = Room(1);
        await store.AdmitAsync(room, Visitor(0), null, default);
        await CreateCodeAsync(store, room, "aaaaaaaaaa", CodeLane.Skip, 7);

        // Act: 40 visitors, each twice, all at once.
        var outcomes = await Task.WhenAll(Enumerable.Range(100, 40).SelectMany(n => new[] { n, n }).Select(n =>
            Task.Run(() => store.RedeemCodeAsync(room, "aaaaaaaaaa", "hash-aaaaaaaaaa", $"visitor-{n}", default))));
        var counts = await store.GetCountsAsync(room, default);

        // Assert
        Assert.Equal(7, outcomes.Count(o => o == CodeRedemption.Accepted));
        Assert.Equal(7, outcomes.Count(o => o == CodeRedemption.AlreadyRedeemed));
        Assert.Equal(66, outcomes.Count(o => o == CodeRedemption.UsedUp));
        Assert.Equal(7, (await store.ListCodesAsync(room, default))[0].Used);
        Assert.Equal(7, counts.Queued);
    }
}
