using System.Diagnostics;
using WaitingRoom.Tests.ScaleOut;

namespace WaitingRoom.Tests.Adaptive;

/// <summary>
/// A crowd of a fixed size that browses through the room: each visitor arrives, waits in line
/// (asking for its page again every half second, as the queue page does), browses
/// <see cref="Pages"/> pages with a think time between them, then leaves through /leave, where the
/// origin releases its slot; a new visitor takes its place. It counts what the room must never do
/// to a visitor: turn one that is in back to the queue, or drop one from the line.
/// </summary>
internal sealed class BrowsingCrowd
{
    private readonly RoundRobin _balancer;
    private readonly Stopwatch _clock;
    private long _admissions;
    private long _thrownOut;
    private long _lostPlace;
    private long _positionRises;
    private long _unavailable;
    private long _lastAdmissionSentAt = -1;
    private int _visitors;

    /// <param name="balancer">The instances, in turn.</param>
    /// <param name="clock">The test's clock (times are seconds on it).</param>
    public BrowsingCrowd(RoundRobin balancer, Stopwatch clock)
    {
        _balancer = balancer;
        _clock = clock;
    }

    public int Pages { get; init; } = 10;

    public TimeSpan ThinkMin { get; init; } = TimeSpan.FromSeconds(0.8);

    public TimeSpan ThinkMax { get; init; } = TimeSpan.FromSeconds(1.2);

    /// <summary>Visitors let in (directly or from the line).</summary>
    public long Admissions => Interlocked.Read(ref _admissions);

    /// <summary>Visitors in who were answered with the queue before they left: must stay 0.</summary>
    public long ThrownOut => Interlocked.Read(ref _thrownOut);

    /// <summary>Waiters who polled and were told they were unknown (lost their place): must stay 0.</summary>
    public long LostPlace => Interlocked.Read(ref _lostPlace);

    /// <summary>Waiters' polls answered 503 "store-unavailable" (the store missed the request's deadline): reported, not a lost place.</summary>
    public long Unavailable => Interlocked.Read(ref _unavailable);

    /// <summary>Times a waiter's position went up between two polls: must stay 0.</summary>
    public long PositionRises => Interlocked.Read(ref _positionRises);

    /// <summary>When (seconds on the test's clock) the request that let in the latest newcomer was sent; -1 before any.</summary>
    public double LastAdmissionSentAt => Interlocked.Read(ref _lastAdmissionSentAt) / (double)Stopwatch.Frequency;

    /// <summary>Runs <paramref name="size"/> visitors at a time until <paramref name="cancellationToken"/> ends it.</summary>
    public Task RunAsync(int size, CancellationToken cancellationToken) =>
        Task.WhenAll(Enumerable.Range(0, size).Select(_ => Task.Run(() => VisitorsAsync(cancellationToken), CancellationToken.None)));

    private async Task VisitorsAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await VisitAsync(Interlocked.Increment(ref _visitors), cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The test is over.
        }
    }

    private async Task VisitAsync(int number, CancellationToken cancellationToken)
    {
        var random = new Random(number);
        string? token = null;
        long lastPosition = long.MaxValue;
        var queued = false;
        while (true)
        {
            var sent = _clock.ElapsedTicks;
            var answer = await _balancer.GetAsync("/page/0", token, cancellationToken);
            token = answer.SetToken ?? token;
            if (IsForwarded(answer))
            {
                Interlocked.Increment(ref _admissions);
                InterlockedMax(ref _lastAdmissionSentAt, sent);
                break;
            }

            if (answer.State == "queued")
            {
                var position = answer.Position;
                if (queued && position > lastPosition)
                {
                    Interlocked.Increment(ref _positionRises);
                }

                (queued, lastPosition) = (true, position);
            }
            else if (answer.State == "unknown" && answer.Status == 503 && queued)
            {
                // The store did not answer within the request's deadline (a loaded machine): the
                // place is kept, as the next answer's position shows (PositionRises).
                Interlocked.Increment(ref _unavailable);
            }
            else if (answer.State == "unknown" && queued)
            {
                Interlocked.Increment(ref _lostPlace);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        }

        for (var page = 1; page <= Pages; page++)
        {
            await Task.Delay(ThinkMin + ((ThinkMax - ThinkMin) * random.NextDouble()), cancellationToken);
            var answer = await _balancer.GetAsync(page == Pages ? "/leave" : $"/page/{page}", token, cancellationToken);
            if (answer.State is "queued" or "released")
            {
                Interlocked.Increment(ref _thrownOut);
            }
        }
    }

    /// <summary>The room let the request through: the origin answered it (its page, or its 503 while it fails).</summary>
    private static bool IsForwarded(RoundRobin.Answer answer) =>
        answer.FromBackend || (answer.Status == 503 && answer.Body == "down");

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current && Interlocked.CompareExchange(ref target, value, current) != current)
        {
            current = Interlocked.Read(ref target);
        }
    }
}
