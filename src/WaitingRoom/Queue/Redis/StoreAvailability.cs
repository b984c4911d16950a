using Polly;
using Polly.CircuitBreaker;
using StackExchange.Redis;

namespace WaitingRoom.Queue;

/// <summary>
/// Whether Redis answers, shared by the Redis store and the admission cache of one instance. Every
/// store call on a request's path has a deadline (<see cref="RequestDeadline"/>): a Redis that
/// hangs (a stopped process, a dead network path, a full server) costs a request at most that
/// long, never the client library's coarse timeout. A call that Redis did not answer opens a
/// circuit (<see cref="Pipeline"/>, Polly's circuit breaker): calls fail at once, the admission
/// cache admits nobody from memory, so WR_FAILURE_MODE applies to every request, and a PING goes
/// to Redis in the background as the circuit's trial once per <see cref="ProbeInterval"/>. Its
/// answer ends the outage; no request waits on it.
/// </summary>
/// <remarks>The clock must run in real time: it bounds how long a request waits.</remarks>
internal sealed class StoreAvailability
{
    /// <summary>The product's <see cref="RequestDeadline"/>: a silent Redis costs a request half a second at most, and a step.</summary>
    public static readonly TimeSpan DefaultRequestDeadline = TimeSpan.FromMilliseconds(500);

    /// <summary>While a call past its deadline waits on a busy Redis: how often it looks again, and how recent an answer must be.</summary>
    public static readonly TimeSpan BusyStep = TimeSpan.FromMilliseconds(250);

    /// <summary>How long a background or administrative call (promotion, counts, documents, reset) may take: the client's own async timeout.</summary>
    public static readonly TimeSpan BackgroundDeadline = TimeSpan.FromSeconds(5);

    /// <summary>While the circuit is open, one call per this interval goes to Redis to see whether it is back.</summary>
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(200);

    private readonly CircuitBreakerStateProvider _circuit = new();
    private long _lastAnswer;
    private Exception? _connectionFailure;
    private Exception? _lastFailure;
    private int _probing;
    private int _reportedDown;

    /// <param name="time">The clock of deadlines and probes (real time).</param>
    /// <param name="requestDeadline">The request-path deadline; <see cref="DefaultRequestDeadline"/> when null.</param>
    public StoreAvailability(TimeProvider time, TimeSpan? requestDeadline = null)
    {
        Time = time;
        RequestDeadline = requestDeadline ?? DefaultRequestDeadline;
        Pipeline = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                // Any silent call among the last ones opens it; an error Redis answered with
                // (TRYAGAIN while a cluster slot moves, LOADING, NOPERM) fails that call only.
                FailureRatio = 0,
                MinimumThroughput = 2,
                ShouldHandle = arguments => ValueTask.FromResult(arguments.Outcome.Exception is { } exception && IsSilence(exception)),

                // A generator, as BreakDuration itself may not be shorter than half a second.
                BreakDurationGenerator = _ => ValueTask.FromResult(ProbeInterval),
                StateProvider = _circuit,

                // Webhooks (store.down / store.up): once when an outage begins (not again for each failed probe) and once when it ends.
                OnOpened = _ => Report(down: true),
                OnClosed = _ => Report(down: false),
            })
            .Build();
    }

    /// <summary>
    /// Told when an outage begins for this instance (true: the circuit opened) and when it ends (false), once
    /// each; called on the failing call's path, so a handler must only hand the news on (webhooks queue it).
    /// </summary>
    public event Action<bool>? AvailabilityChanged;

    private ValueTask Report(bool down)
    {
        if ((Interlocked.Exchange(ref _reportedDown, down ? 1 : 0) == 1) != down)
        {
            AvailabilityChanged?.Invoke(down);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// How long a request-path call (admission, status, touch, release, ping) may take before it
    /// counts as an outage, unless Redis answered other calls meanwhile: a busy Redis (a storm of
    /// arrivals, a loaded machine) is waited for, in steps of <see cref="BusyStep"/>, up to the
    /// client's timeout, as long as answers keep coming and the circuit is closed.
    /// </summary>
    public TimeSpan RequestDeadline { get; }

    /// <summary>The clock deadlines and probes are measured on.</summary>
    public TimeProvider Time { get; }

    /// <summary>The circuit: the probes run through it, every other call's outcome is recorded by it (<see cref="Record{T}(Outcome{T})"/>).</summary>
    public ResiliencePipeline Pipeline { get; }

    /// <summary>
    /// Hands the circuit the outcome of a call made outside <see cref="Pipeline"/> (it was closed when the
    /// call went out): a silence opens it. Runs synchronously; an open circuit turns the record away.
    /// </summary>
    public void Record<T>(Outcome<T> outcome)
    {
        var context = ResilienceContextPool.Shared.Get();
        var recorded = Pipeline.ExecuteOutcomeAsync(static (_, known) => ValueTask.FromResult(known), context, outcome);
        if (recorded.IsCompleted)
        {
            recorded.GetAwaiter().GetResult();
            ResilienceContextPool.Shared.Return(context);
        }
        else
        {
            // Not today (every callback of the circuit completes at once), but the context stays in use until it does.
            _ = ReturnWhenRecordedAsync(recorded, context);
        }
    }

    private static async Task ReturnWhenRecordedAsync<T>(ValueTask<Outcome<T>> recorded, ResilienceContext context)
    {
        try
        {
            await recorded;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>A call failed with <paramref name="exception"/>: a silence is kept as <see cref="LastFailure"/>, and the circuit records it.</summary>
    public void Record<T>(Exception exception)
    {
        if (IsSilence(exception))
        {
            Failed(exception);
        }

        Record(Outcome.FromException<T>(exception));
    }

    /// <summary>True from a call Redis did not answer until a probe answers.</summary>
    public bool IsDown => _circuit.CircuitState != CircuitState.Closed;

    /// <summary>
    /// Why the client's last connection attempt failed (a refused password or certificate says so
    /// here even while the calls themselves only time out on a connection being set up).
    /// </summary>
    public Exception? ConnectionFailure => Volatile.Read(ref _connectionFailure);

    /// <summary>The client reported a failed connection (see <see cref="ConnectionFailure"/>).</summary>
    public void ConnectionFailed(Exception cause) => Volatile.Write(ref _connectionFailure, cause);

    /// <summary>
    /// Why the last call or probe Redis did not answer failed: the calls that fail fast during the
    /// outage carry it, so a refusal (a wrong password, an untrusted certificate) still says what it is.
    /// </summary>
    public Exception? LastFailure => Volatile.Read(ref _lastFailure);

    /// <summary>A call or probe got no answer (see <see cref="LastFailure"/>); the circuit counts it itself.</summary>
    public void Failed(Exception cause)
    {
        // Our own deadline passing says less than the client's last error (a refused password, a certificate): keep that one.
        if (cause.GetType() != typeof(TimeoutException) || Volatile.Read(ref _lastFailure) is not RedisException)
        {
            Volatile.Write(ref _lastFailure, cause);
        }
    }

    /// <summary>The PING that ends an outage: its store's (each store has an availability of its own); <see cref="FailingFast"/> sends it.</summary>
    public Func<Task>? Probe { get; set; }

    /// <summary>
    /// While the circuit is open: why calls fail (the exception a call would throw, not thrown) and a
    /// probe sent when none is under way; null while Redis answers. The admission middleware asks this
    /// before it calls the store, so an outage costs a request no exception: thrown and rethrown
    /// through each async layer, they took about a third of the CPU of a room failing fast under load.
    /// </summary>
    public StoreUnavailableException? FailingFast()
    {
        if (!IsDown)
        {
            return null;
        }

        if (Probe is { } probe && TryStartProbe())
        {
            _ = probe();
        }

        return LastFailure is { } cause
            ? new StoreUnavailableException($"Redis did not answer the last call ({cause.Message}); failing fast until a probe answers.", cause)
            : new StoreUnavailableException("Redis did not answer the last call; failing fast until a probe answers.");
    }

    /// <summary>While the circuit is open: true for one caller while no probe is under way, which then sends one.</summary>
    public bool TryStartProbe() => Interlocked.Exchange(ref _probing, 1) == 0;

    /// <summary>The probe of <see cref="TryStartProbe"/> ended (answered, failed or turned away by the circuit).</summary>
    public void ProbeEnded() => Volatile.Write(ref _probing, 0);

    /// <summary>A call answered (with a result or an error of Redis's own).</summary>
    public void Answered()
    {
        Volatile.Write(ref _lastAnswer, Time.GetTimestamp());
        if (Volatile.Read(ref _lastFailure) is not null)
        {
            Volatile.Write(ref _lastFailure, null);
        }
    }

    /// <summary>
    /// True when some call answered within <paramref name="span"/>: a call past its deadline then
    /// meets a busy Redis, not a silent one (see <see cref="RequestDeadline"/>).
    /// </summary>
    public bool AnsweredWithin(TimeSpan span) =>
        Time.GetElapsedTime(Volatile.Read(ref _lastAnswer)) <= span;

    /// <summary>Redis did not answer: no connection, a deadline or the client's timeout passed, the client closed.</summary>
    public static bool IsSilence(Exception exception) =>
        exception is RedisConnectionException or TimeoutException or ObjectDisposedException;
}
