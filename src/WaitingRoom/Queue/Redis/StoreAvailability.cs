namespace WaitingRoom.Queue;

/// <summary>
/// Whether the store answered its last call, shared by the Redis store and the admission cache of
/// one instance. Every store call on a request's path has a deadline (<see cref="RequestDeadline"/>):
/// a Redis that hangs (a stopped process, a dead network path, a full server) costs a request at
/// most that long, never the client library's coarse timeout. Once a call failed, the store is
/// <see cref="IsDown"/>: calls fail at once, a background probe goes to the store at most once per
/// <see cref="ProbeInterval"/>, and the admission cache admits nobody from memory, so
/// WR_FAILURE_MODE applies to every request. The first probe or call that answers ends the outage.
/// </summary>
/// <remarks>
/// The hot path reads one field. Times are <see cref="TimeProvider.GetTimestamp"/> values of the
/// given provider, which must run in real time: they bound how long a request waits.
/// </remarks>
internal sealed class StoreAvailability
{
    /// <summary>
    /// How long a request-path call (admission, status, touch, release, ping) may take before it
    /// counts as an outage, unless Redis answered other calls meanwhile: a busy Redis (a storm of
    /// arrivals, a loaded machine) is waited for, in steps of <see cref="BusyStep"/>, up to
    /// <see cref="BackgroundDeadline"/>, as long as answers keep coming and the store is not down.
    /// </summary>
    public TimeSpan RequestDeadline { get; }

    /// <summary>The product's <see cref="RequestDeadline"/>: a silent Redis costs a request half a second at most, and a step.</summary>
    public static readonly TimeSpan DefaultRequestDeadline = TimeSpan.FromMilliseconds(500);

    /// <summary>While a call past its deadline waits on a busy Redis: how often it looks again, and how recent an answer must be.</summary>
    public static readonly TimeSpan BusyStep = TimeSpan.FromMilliseconds(250);

    /// <summary>How long a background or administrative call (promotion, counts, documents, reset) may take.</summary>
    public static readonly TimeSpan BackgroundDeadline = TimeSpan.FromSeconds(5);

    /// <summary>While the store is down, one call per this interval goes to it to see whether it is back.</summary>
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(200);

    private readonly long _probeTicks;
    private int _down;
    private long _nextProbe;
    private Exception? _lastFailure;
    private long _lastAnswer;
    private Exception? _connectionFailure;

    /// <param name="time">The clock of deadlines and probes (real time).</param>
    /// <param name="requestDeadline">The request-path deadline; <see cref="DefaultRequestDeadline"/> when null.</param>
    public StoreAvailability(TimeProvider time, TimeSpan? requestDeadline = null)
    {
        Time = time;
        RequestDeadline = requestDeadline ?? DefaultRequestDeadline;
        _probeTicks = (long)(ProbeInterval.TotalSeconds * time.TimestampFrequency);
    }

    /// <summary>The clock deadlines and probes are measured on.</summary>
    public TimeProvider Time { get; }

    /// <summary>True from a failed call until a call answers again.</summary>
    public bool IsDown => Volatile.Read(ref _down) != 0;

    /// <summary>
    /// While the store is down: true for the first caller once <see cref="ProbeInterval"/> has
    /// passed since the last probe, which then sends the probe. False while the store is up.
    /// </summary>
    public bool TryClaimProbe()
    {
        if (!IsDown)
        {
            return false;
        }

        var now = Time.GetTimestamp();
        var next = Volatile.Read(ref _nextProbe);
        return now >= next && Interlocked.CompareExchange(ref _nextProbe, now + _probeTicks, next) == next;
    }

    /// <summary>
    /// True when some call answered within <paramref name="span"/>: a call past its deadline then
    /// meets a busy Redis, not a silent one (see <see cref="RequestDeadline"/>).
    /// </summary>
    public bool AnsweredWithin(TimeSpan span) =>
        Time.GetElapsedTime(Volatile.Read(ref _lastAnswer)) <= span;

    /// <summary>
    /// Why the client's last connection attempt failed (a refused password or certificate says so
    /// here even while the calls themselves only time out on a connection being set up).
    /// </summary>
    public Exception? ConnectionFailure => Volatile.Read(ref _connectionFailure);

    /// <summary>The client reported a failed connection (see <see cref="ConnectionFailure"/>).</summary>
    public void ConnectionFailed(Exception cause) => Volatile.Write(ref _connectionFailure, cause);

    /// <summary>A call answered: the store is up.</summary>
    public void Answered()
    {
        Volatile.Write(ref _lastAnswer, Time.GetTimestamp());
        if (IsDown)
        {
            Volatile.Write(ref _down, 0);
        }
    }

    /// <summary>
    /// Why the last failed call or probe failed: the calls that fail fast during the outage carry
    /// it, so a refusal (a wrong password, an untrusted certificate) still says what it is.
    /// </summary>
    public Exception? LastFailure => Volatile.Read(ref _lastFailure);

    /// <summary>A call or probe failed or missed its deadline: the store is down until a probe answers.</summary>
    public void Failed(Exception cause)
    {
        Volatile.Write(ref _lastFailure, cause);
        if (!IsDown)
        {
            Volatile.Write(ref _nextProbe, Time.GetTimestamp() + _probeTicks);
            Volatile.Write(ref _down, 1);
        }
    }
}
