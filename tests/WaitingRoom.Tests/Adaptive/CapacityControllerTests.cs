using WaitingRoom.Adaptive;
using WaitingRoom.Queue;
using WaitingRoom.Rooms;
using Xunit;

namespace WaitingRoom.Tests.Adaptive;

/// <summary>Each rule of the controller on its own, one window at a time.</summary>
public sealed class CapacityControllerTests
{
    private static readonly AdaptiveSettings s_settings = new() { On = true, MinActive = 5, TargetP95 = TimeSpan.FromSeconds(0.5), MaxErrors = 0.05 };

    private static readonly RoomPolicy s_room = new RoomPolicy("default", 100, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(60)) with { Adaptive = true, MinActive = 5 };

    /// <summary>The last change long enough ago for an increase.</summary>
    private static readonly TimeSpan s_settled = TimeSpan.FromSeconds(10);

    private static CapacityState At(int capacity, bool hold = false) => new(capacity, hold, null, "test", 3, DateTimeOffset.UnixEpoch);

    private static ForwardingWindow Window(long succeeded, double p95Seconds, long failed = 0, int run = 0) =>
        new(succeeded, failed, TimeSpan.FromSeconds(p95Seconds), 0, run);

    [Fact]
    public void Decide_FailuresInARow_HoldsAtTheVisitorsIn()
    {
        var step = new CapacityController(TimeSpan.FromSeconds(1)).Decide(s_room, s_settings, At(40), active: 30, used: 30, Window(50, 0.1, failed: 5, run: 5), s_settled);

        Assert.Equal(new CapacityStep(true, 30, true, "hold"), step);
    }

    [Fact]
    public void Decide_AlmostEveryRequestFailed_Holds()
    {
        var step = new CapacityController(TimeSpan.FromSeconds(1)).Decide(s_room, s_settings, At(40), active: 40, used: 40, Window(1, 0.1, failed: 19, run: 2), s_settled);

        Assert.True(step.Hold);
    }

    [Fact]
    public void Decide_OnHoldAndAHealthyWindow_ResumesFromTheVisitorsIn()
    {
        var step = new CapacityController(TimeSpan.FromSeconds(1)).Decide(s_room, s_settings, At(40, hold: true), active: 25, used: 25, Window(20, 0.1), s_settled);

        Assert.Equal(new CapacityStep(true, 25, false, "resume"), step);
    }

    [Fact]
    public void Decide_OnHoldAndStillFailing_StaysOnHold()
    {
        var step = new CapacityController(TimeSpan.FromSeconds(1)).Decide(s_room, s_settings, At(40, hold: true), active: 25, used: 25, Window(10, 0.1, failed: 10), s_settled);

        Assert.True(step.Hold);
        Assert.False(step.Changes(At(40, hold: true)));
    }

    [Fact]
    public void Decide_OnHoldWithoutRequests_ProbesAtTheLowerBoundAfterSomeWindows()
    {
        var controller = new CapacityController(TimeSpan.FromSeconds(1));
        var steps = Enumerable.Range(0, CapacityController.ProbeAfter).Select(_ => controller.Decide(s_room, s_settings, At(40, hold: true), 0, 0, default, s_settled)).ToList();

        Assert.All(steps.SkipLast(1), s => Assert.True(s.Hold));
        Assert.Equal(new CapacityStep(true, 5, false, "probe"), steps[^1]);
    }

    [Fact]
    public void Decide_ErrorShareAboveTheMaximum_CutsByAQuarter()
    {
        var step = new CapacityController(TimeSpan.FromSeconds(1)).Decide(s_room, s_settings, At(40), active: 40, used: 40, Window(90, 0.1, failed: 10), s_settled);

        Assert.Equal(new CapacityStep(true, 30, false, "errors"), step);
    }

    [Fact]
    public void Decide_P95AboveTheTarget_CutsByTheSmoothedGradient()
    {
        var step = new CapacityController(TimeSpan.FromSeconds(1)).Decide(s_room, s_settings, At(40), active: 40, used: 40, Window(100, 1.0), s_settled);

        // The aim is 0.95 × 0.5 = 0.475 s: (1 + 0.475 / 1.0) / 2 = 0.7375, 29.5 rounded down.
        Assert.Equal(new CapacityStep(true, 29, false, "latency"), step);
    }

    [Fact]
    public void Decide_P95FarAboveTheTarget_AtMostHalves()
    {
        var step = new CapacityController(TimeSpan.FromSeconds(1)).Decide(s_room, s_settings, At(40), active: 40, used: 40, Window(100, 50), s_settled);

        Assert.InRange(step.Capacity, 20, 21);
    }

    [Fact]
    public void Decide_P95JustAboveTheAim_CutsAtLeastOne()
    {
        var step = new CapacityController(TimeSpan.FromSeconds(1)).Decide(s_room, s_settings, At(40), active: 40, used: 40, Window(100, (0.5 * CapacityController.Setpoint) + 0.001), s_settled);

        Assert.Equal(39, step.Capacity);
    }

    [Fact]
    public void Decide_MoreVisitorsInThanTheCapacity_WaitsForTheLastCutToTakeEffect()
    {
        var step = new CapacityController(TimeSpan.FromSeconds(1)).Decide(s_room, s_settings, At(30), active: 40, used: 40, Window(100, 2.0), s_settled);

        Assert.True(step.UsedWindow);
        Assert.False(step.Changes(At(30)));
    }

    [Fact]
    public void Decide_MoreVisitorsInThanTheCapacityAndHealthy_TheCutWentTooDeepAndItGrowsBack()
    {
        var step = new CapacityController(TimeSpan.FromSeconds(1)).Decide(s_room, s_settings, At(20), active: 24, used: 24, Window(100, 0.1), s_settled);

        Assert.Equal(new CapacityStep(true, 25, false, "healthy"), step);
    }

    [Fact]
    public void Decide_OnHoldAFewFailuresThenNobody_ForgetsThemAndProbes()
    {
        var controller = new CapacityController(TimeSpan.FromSeconds(1));

        var afterFailures = controller.Decide(s_room, s_settings, At(40, hold: true), 3, 3, Window(0, 0, failed: 2, run: 2), s_settled);
        var steps = Enumerable.Range(0, CapacityController.ProbeAfter).Select(_ => controller.Decide(s_room, s_settings, At(40, hold: true), 3, 3, default, s_settled)).ToList();

        Assert.True(afterFailures.UsedWindow);
        Assert.Equal(new CapacityStep(true, 5, false, "probe"), steps[^1]);
    }

    [Fact]
    public void Decide_OnHoldTheLatestRequestsSucceed_Resumes()
    {
        var step = new CapacityController(TimeSpan.FromSeconds(1)).Decide(s_room, s_settings, At(40, hold: true), 30, 30, Window(3, 0.1, failed: 2), s_settled);

        Assert.Equal(new CapacityStep(true, 30, false, "resume"), step);
    }

    [Fact]
    public void Decide_HealthyFullRoomAtTheBaseline_GrowsByAQuarter()
    {
        var step = new CapacityController(TimeSpan.FromSeconds(1)).Decide(s_room, s_settings, At(40), active: 40, used: 40, Window(100, 0.1), s_settled);

        Assert.Equal(new CapacityStep(true, 50, false, "healthy"), step);
    }

    [Fact]
    public void Decide_HealthySmallRoom_GrowsByAtLeastTwo()
    {
        var step = new CapacityController(TimeSpan.FromSeconds(1)).Decide(s_room, s_settings, At(5), active: 5, used: 5, Window(10, 0.1), s_settled);

        Assert.Equal(7, step.Capacity);
    }

    [Fact]
    public void Decide_HalfwayToTheAim_GrowsByAQuarterOfTheFullStep()
    {
        var controller = new CapacityController(TimeSpan.FromSeconds(1));
        controller.Decide(s_room, s_settings, At(40), active: 40, used: 40, Window(100, 0.1), s_settled);

        // Headroom (0.475 - 0.2875) / (0.475 - 0.101) = 0.5 toward the aim of 0.95 × 0.5 s (the
        // baseline has drifted by 1 %): its square, a quarter of the full step of 10, rounded down.
        var step = controller.Decide(s_room, s_settings, At(40), active: 40, used: 40, Window(100, 0.2875), s_settled);

        Assert.Equal(42, step.Capacity);
    }

    [Fact]
    public void Decide_NearTheAim_GrowsByOne()
    {
        var controller = new CapacityController(TimeSpan.FromSeconds(1));
        controller.Decide(s_room, s_settings, At(40), active: 40, used: 40, Window(100, 0.1), s_settled);

        // Headroom (0.475 - 0.42) / (0.475 - 0.101) = 0.15: 0.15² of 10 is under one, and one is the least step.
        var step = controller.Decide(s_room, s_settings, At(40), active: 40, used: 40, Window(100, 0.42), s_settled);

        Assert.Equal(41, step.Capacity);
    }

    [Fact]
    public void Decide_CloseToTheAim_HoldsSteady()
    {
        var controller = new CapacityController(TimeSpan.FromSeconds(1));
        controller.Decide(s_room, s_settings, At(40), active: 40, used: 40, Window(100, 0.1), s_settled);

        var step = controller.Decide(s_room, s_settings, At(40), active: 40, used: 40, Window(100, 0.45), s_settled);

        Assert.False(step.Changes(At(40)));
    }

    [Fact]
    public void Decide_HealthyButTheRoomIsNotFull_DoesNotGrow()
    {
        var step = new CapacityController(TimeSpan.FromSeconds(1)).Decide(s_room, s_settings, At(40), active: 20, used: 20, Window(100, 0.1), s_settled);

        Assert.False(step.Changes(At(40)));
    }

    [Fact]
    public void Decide_HealthyButReleasedVisitorsHaveNotArrivedYet_DoesNotGrow()
    {
        var step = new CapacityController(TimeSpan.FromSeconds(1)).Decide(s_room, s_settings, At(40), active: 25, used: 40, Window(100, 0.1), s_settled);

        Assert.False(step.Changes(At(40)));
    }

    [Fact]
    public void Decide_HealthyButTheLastChangeIsRecent_WaitsTwoIntervalsBeforeGrowingAgain()
    {
        var controller = new CapacityController(TimeSpan.FromSeconds(1));

        var early = controller.Decide(s_room, s_settings, At(40), active: 40, used: 40, Window(100, 0.1), TimeSpan.FromSeconds(1.5));
        var onTime = controller.Decide(s_room, s_settings, At(40), active: 40, used: 40, Window(100, 0.1), TimeSpan.FromSeconds(2));

        Assert.False(early.Changes(At(40)));
        Assert.Equal(50, onTime.Capacity);
    }

    [Fact]
    public void Decide_P95AboveTheTargetRightAfterAChange_CutsAtOnce()
    {
        var step = new CapacityController(TimeSpan.FromSeconds(1)).Decide(s_room, s_settings, At(40), active: 40, used: 40, Window(100, 1.0), TimeSpan.FromSeconds(0.8));

        Assert.Equal(29, step.Capacity);
    }

    [Fact]
    public void Decide_P95AboveTheTargetLessThanAP95AfterALatencyCut_SettlesThenCuts()
    {
        // The origin still drains the backlog of the load the cut took away: 1 s of latency needs
        // the window (1 s) and that second after the cut before a window shows the new load.
        var controller = new CapacityController(TimeSpan.FromSeconds(1));
        var cut = At(40) with { Reason = "latency" };

        var early = controller.Decide(s_room, s_settings, cut, active: 40, used: 40, Window(100, 1.0), TimeSpan.FromSeconds(1.5));
        var later = controller.Decide(s_room, s_settings, cut, active: 40, used: 40, Window(100, 1.0), TimeSpan.FromSeconds(2.5));

        Assert.Equal((true, 40), (early.UsedWindow, early.Capacity));
        Assert.Equal((29, "latency"), (later.Capacity, later.Reason));
    }

    [Fact]
    public void Decide_VisitorsAboveACutJustLeft_SettlesForAP95ThenCuts()
    {
        var controller = new CapacityController(TimeSpan.FromSeconds(1));

        // More visitors in than the capacity while the p95 is 1.5 s: wait; once they have left, the
        // next two windows (a p95 of 1.5 s, rounded up) still show them.
        var waiting = controller.Decide(s_room, s_settings, At(40), active: 45, used: 45, Window(100, 1.5), s_settled);
        var first = controller.Decide(s_room, s_settings, At(40), active: 40, used: 40, Window(100, 1.0), s_settled);
        var second = controller.Decide(s_room, s_settings, At(40), active: 40, used: 40, Window(100, 1.0), s_settled);
        var third = controller.Decide(s_room, s_settings, At(40), active: 40, used: 40, Window(100, 1.0), s_settled);

        Assert.Equal([40, 40, 40, 29], new[] { waiting, first, second, third }.Select(s => s.Capacity));
    }

    [Fact]
    public void Decide_TooFewRequests_KeepsTheWindowOpen()
    {
        var step = new CapacityController(TimeSpan.FromSeconds(1)).Decide(s_room, s_settings, At(40), active: 40, used: 40, Window(CapacityController.MinSamples - 1, 3.0), s_settled);

        Assert.False(step.UsedWindow);
        Assert.False(step.Changes(At(40)));
    }

    [Fact]
    public void Decide_AtTheBounds_StaysWithinThem()
    {
        var controller = new CapacityController(TimeSpan.FromSeconds(1));

        var atMax = controller.Decide(s_room, s_settings, At(100), active: 100, used: 100, Window(100, 0.1), s_settled);
        var atMin = controller.Decide(s_room, s_settings, At(5), active: 5, used: 5, Window(100, 5.0), s_settled);
        var errorsAtMin = controller.Decide(s_room, s_settings, At(5), active: 5, used: 5, Window(50, 0.1, failed: 10), s_settled);

        Assert.Equal(100, atMax.Capacity);
        Assert.Equal(5, atMin.Capacity);
        Assert.Equal(5, errorsAtMin.Capacity);
    }

    [Fact]
    public void Baseline_FollowsTheLowestP95AndForgetsItSlowly()
    {
        var controller = new CapacityController(TimeSpan.FromSeconds(1));
        controller.Decide(s_room, s_settings, At(40), active: 40, used: 40, Window(100, 0.2), s_settled);
        controller.Decide(s_room, s_settings, At(40), active: 40, used: 40, Window(100, 0.1), s_settled);
        var lowest = controller.Baseline;
        controller.Decide(s_room, s_settings, At(40), active: 40, used: 40, Window(100, 0.4), s_settled);

        Assert.Equal(TimeSpan.FromSeconds(0.1), lowest);
        Assert.Equal(TimeSpan.FromSeconds(0.1 * (1 + CapacityController.BaselineDrift)).TotalMilliseconds, controller.Baseline!.Value.TotalMilliseconds, 3);
    }
}
