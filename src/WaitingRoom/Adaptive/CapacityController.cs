using WaitingRoom.Queue;
using WaitingRoom.Rooms;

namespace WaitingRoom.Adaptive;

/// <summary>
/// The rule that sets one room's adaptive capacity, once per interval, from what every instance saw
/// of the room's forwarded requests (<see cref="ForwardingWindow"/>) and the room's numbers in the
/// store. Modelled on the adaptive concurrency limiters of service meshes (Netflix
/// concurrency-limits' Gradient2 and AIMD, Envoy's adaptive concurrency), for whole visitor sessions:
/// </summary>
/// <remarks>
/// The controller aims at <see cref="Setpoint"/> of WR_ADAPTIVE_TARGET_P95 (the aim), not at the
/// target itself: a room held at its target is over it half the time, and the target is the latency
/// the origin should stay under.
/// <list type="number">
/// <item><b>Hold</b> when the origin is down or failing (<see cref="HoldRun"/> failures in a row, or
/// <see cref="HoldShare"/> of a window failed): nobody new is admitted, nobody is dropped. It ends
/// at the first window whose last request succeeded and whose failures are under <see cref="ResumeShare"/>, or after <see cref="ProbeAfter"/> windows without
/// a request (then at the lower bound, a probe). Either way the capacity restarts from the visitors
/// in the room, so the ramp back is bounded like any other increase.</item>
/// <item><b>Wait</b> while more visitors are in than the capacity: a cut only takes effect as
/// visitors leave (nobody is thrown out), so the controller does not cut again on the load of
/// visitors it has already stopped admitting (this is what keeps it from overshooting); if the
/// origin is healthy with them, the cut went too deep and the capacity grows back.</item>
/// <item><b>Settle</b> after a cut: the origin's latency lags its load by about the latency itself
/// (its backlog drains first), so no window is judged on latency until one has begun a p95 after
/// the cut (from the stored time of the cut, whichever instance made it; at most <see cref="MaxLag"/>
/// windows), nor in the p95's worth of windows after the visitors above a cut have left.</item>
/// <item><b>Errors</b> (share above WR_ADAPTIVE_MAX_ERRORS): multiplicative decrease, × <see cref="ErrorCut"/>.</item>
/// <item><b>Latency</b> (p95 above the aim): the gradient aim ÷ p95, smoothed by half and at most
/// halving: capacity × (1 + aim/p95) / 2.</item>
/// <item><b>Healthy</b>: an increase in proportion to the square of the headroom left between the
/// measured no-load p95 (the baseline, the lowest window p95, forgotten by 1 % a window) and the aim:
/// full speed (+25 %, at least +2) near the baseline, +1 once the p95 nears the aim, nothing within
/// the last tenth before it. An origin's latency is flat until its knee and steep past it, so an
/// increase in plain proportion to the headroom (and rounded up) stepped over the aim from just
/// under it, and the cut that followed set up a cycle that held the room well under its aim. Only when
/// the capacity is in use, mostly by visitors who have arrived (a capacity nobody uses says nothing
/// about the origin), and the last change is
/// <see cref="GrowthSpacing"/> intervals old (the window must show the load of the visitors the
/// last increase let in, or the controller grows on a load that is already gone).</item>
/// </list>
/// A window is only judged with <see cref="MinSamples"/> requests or more; until then it grows.
/// Every result is within the policy's bounds.
/// </remarks>
internal sealed class CapacityController
{
    /// <summary>Requests a window needs before latency or errors are judged.</summary>
    public const int MinSamples = 10;

    /// <summary>Failures in a row that put the room on hold at once, whatever the window's share.</summary>
    public const int HoldRun = 5;

    /// <summary>Share of a window's requests that failed that puts the room on hold.</summary>
    public const double HoldShare = 0.9;

    /// <summary>Windows on hold without any request after which the room admits its lower bound again, to find out.</summary>
    public const int ProbeAfter = 5;

    /// <summary>On hold, a window with fewer failures than this share (and a success last) ends the hold.</summary>
    public const double ResumeShare = 0.5;

    /// <summary>Multiplicative decrease on errors.</summary>
    public const double ErrorCut = 0.75;

    /// <summary>Largest increase per window, as a share of the capacity.</summary>
    public const double MaxGrowth = 0.25;

    /// <summary>The share of WR_ADAPTIVE_TARGET_P95 the controller aims at.</summary>
    public const double Setpoint = 0.95;

    /// <summary>How much of the aim's headroom is kept free: no increase once the p95 is this close to the aim.</summary>
    public const double SteadyHeadroom = 0.1;

    /// <summary>How fast an old, low baseline is forgotten: it rises by this share per judged window, never above the window's p95.</summary>
    public const double BaselineDrift = 0.01;

    /// <summary>Most windows left unjudged after a cut, however slow the origin: it is cut again after this many at the latest.</summary>
    public const int MaxLag = 4;

    /// <summary>Intervals between two increases: the window after an increase must see the visitors it let in.</summary>
    public const int GrowthSpacing = 2;

    private readonly TimeSpan _interval;
    private int _quietWindows;
    private int _settling;

    /// <param name="interval">How often the controller decides (WR_RELEASE_INTERVAL).</param>
    public CapacityController(TimeSpan interval)
    {
        _interval = interval;
    }

    /// <summary>The lowest p95 measured (with drift): the origin's latency without load; null before the first judged window.</summary>
    public TimeSpan? Baseline { get; private set; }

    /// <summary>
    /// The step for this interval. <paramref name="active"/> are the visitors in, <paramref name="used"/>
    /// active + released (the store's numbers, so the whole room over every instance);
    /// <paramref name="sinceChange"/> the time since the stored capacity last changed.
    /// </summary>
    public CapacityStep Decide(RoomPolicy policy, AdaptiveSettings settings, CapacityState state, long active, long used, ForwardingWindow window, TimeSpan sinceChange)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(state);
        var min = policy.MinActive;
        var max = policy.MaxActive;
        var capacity = state.Capacity;
        var refill = Bound((int)Math.Min(capacity, used), min, max);

        if (window.FailingRun >= HoldRun || (window.Requests >= 3 && window.ErrorShare >= HoldShare))
        {
            _quietWindows = 0;
            return state.Hold ? CapacityStep.Keep(state, used: true) : new CapacityStep(true, refill, true, "hold");
        }

        if (state.Hold)
        {
            if (window.Requests == 0)
            {
                return ++_quietWindows >= ProbeAfter ? Resume(min, "probe") : CapacityStep.Keep(state, used: true);
            }

            // Every window on hold stands alone (a few old failures must not outlive the outage): health
            // is back once the latest requests succeed and most of the window did.
            _quietWindows = 0;
            return window.Succeeded >= 1 && window.FailingRun == 0 && window.ErrorShare < ResumeShare
                ? Resume(refill, "resume")
                : CapacityStep.Keep(state, used: true);
        }

        if (window.Requests < MinSamples)
        {
            return CapacityStep.Keep(state, used: false);
        }

        // More visitors in than the capacity: the last cut is still taking effect (visitors leave by
        // themselves, nobody is thrown out), so it is not cut again on their load; if the origin is
        // healthy with them, the cut went too deep and the capacity grows back as usual.
        var waiting = used > capacity;
        if (window.ErrorShare > settings.MaxErrors)
        {
            return waiting ? CapacityStep.Keep(state, used: true) : new CapacityStep(true, Bound(Math.Min(capacity - 1, (int)(capacity * ErrorCut)), min, max), false, "errors");
        }

        var target = settings.TargetP95 * Setpoint;
        var p95 = window.P95;
        if (p95 > target && waiting)
        {
            _settling = Lag(p95);
            return CapacityStep.Keep(state, used: true);
        }

        // The origin's latency lags its load by about the latency itself (its backlog drains first):
        // after a cut, or once the visitors above a cut have left, the next windows still show the
        // load that is gone, so they are not judged (a cut on them goes too deep).
        // A cut is room-wide (any instance may have made it), so its lag is judged from the stored
        // time of the change: the window must have begun a latency after it. (After an increase a
        // high p95 is news at once: it can only understate the load let in.)
        var afterCut = state.Reason is "latency" or "errors";
        if (_settling > 0 || (afterCut && sinceChange < _interval + Lag(p95) * _interval))
        {
            _settling = Math.Max(0, _settling - 1);
            return CapacityStep.Keep(state, used: true);
        }

        if (p95 > target)
        {
            var gradient = Math.Max(0.5, (1 + target / p95) / 2);
            return new CapacityStep(true, Bound(Math.Min(capacity - 1, (int)(capacity * gradient)), min, max), false, "latency");
        }

        var baseline = Baseline is { } known ? TimeSpan.FromTicks(Math.Min(p95.Ticks, (long)(known.Ticks * (1 + BaselineDrift)))) : p95;
        Baseline = baseline;
        // Full: the capacity is given out, most of it to visitors who have arrived (those released and
        // still on their way add no load yet), and the last change is old enough for the window to show its load.
        var full = used >= capacity - Math.Max(1, capacity / 10) && active >= capacity - Math.Max(2, capacity / 4);
        if (!full || capacity >= max || sinceChange < _interval * GrowthSpacing)
        {
            return CapacityStep.Keep(state, used: true);
        }

        // Headroom between the no-load p95 and the aim; when the origin is slow even without
        // load (baseline near the aim), against the aim alone.
        var span = target - baseline;
        var headroom = span > target * SteadyHeadroom ? (target - p95) / span : (target - p95) / target;
        if (headroom < SteadyHeadroom)
        {
            return CapacityStep.Keep(state, used: true);
        }

        // The square of the headroom: the step shrinks to +1 as the p95 nears the aim, where one
        // more visitor already moves the p95 of an origin past its knee (the step is rounded down).
        var share = Math.Min(1, headroom);
        var step = Math.Max(1, (int)(share * share * Math.Max(2, capacity * MaxGrowth)));
        return new CapacityStep(true, Bound(capacity + step, min, max), false, "healthy");
    }

    /// <summary>Windows the load of a cut takes to leave the origin's latency: its backlog drains in about the latency.</summary>
    private int Lag(TimeSpan p95) => (int)Math.Min(MaxLag, Math.Ceiling(p95 / _interval));

    private CapacityStep Resume(int capacity, string reason)
    {
        _quietWindows = 0;
        return new CapacityStep(true, capacity, false, reason);
    }

    private static int Bound(int capacity, int min, int max) => Math.Min(max, Math.Max(min, capacity));
}

/// <summary>
/// One interval's outcome: the capacity and hold to store, why, and whether the window was used
/// (a window that was not keeps growing until it has enough requests).
/// </summary>
internal readonly record struct CapacityStep(bool UsedWindow, int Capacity, bool Hold, string Reason)
{
    public static CapacityStep Keep(CapacityState state, bool used) => new(used, state.Capacity, state.Hold, state.Reason);

    /// <summary>True when the step changes what is stored.</summary>
    public bool Changes(CapacityState state) => Capacity != state.Capacity || Hold != state.Hold;
}
