using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using WaitingRoom.Admission;
using WaitingRoom.Queue;
using WaitingRoom.Rooms;
using WaitingRoom.Configuration;

namespace WaitingRoom.Operations;

/// <summary>
/// Says at start what the room runs with (store, rooms, backends) and loads the shared cookie key when
/// WR_SECRET is unset. A store down at start is logged, not fatal: the room follows WR_FAILURE_MODE.
/// </summary>
/// <param name="availability">The Redis store's outage state (why a connection failed); none with the in-memory store.</param>
/// <param name="connection">The Redis client; none with the in-memory store.</param>
internal sealed partial class StartupReport(
    IOptions<WaitingRoomOptions> options,
    StartupWarnings warnings,
    IWaitingRoomStore store,
    VisitorTokenSigner signer,
    ILogger<StartupReport> logger,
    StoreAvailability? availability = null,
    IConnectionMultiplexer? connection = null)
    : IHostedService, IDisposable
{
    private readonly WaitingRoomOptions _options = options.Value;
    private readonly CancellationTokenSource _stopping = new();
    private Task _check = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var line in warnings.Lines)
        {
            LogConfigurationWarning(logger, line);
        }

        if (_options.UsesInMemoryStore)
        {
            LogInMemoryStore(logger);
        }
        else
        {
            var nodes = RedisEndpointList.Format(RedisConnectionOptions.Endpoints(_options));
            LogRedisStore(logger, nodes, _options.RedisSsl, _options.KeyPrefix);
        }

        foreach (var room in _options.Rooms)
        {
            var mode = QueueModeNames.Of(room.QueueMode);
            LogRoom(logger, room.Name, room.Host, room.Path, room.MaxActive, mode, room.NewUsersPerMinute, room.SessionMax.TotalSeconds, room.MaxNewPerIpPerMinute, room.ActiveTtl.TotalSeconds, room.QueueTtl.TotalSeconds, room.AdmissionWindow.TotalSeconds);
            if (room.Adaptive is { On: true } adaptive)
            {
                var min = Math.Min(adaptive.MinActive, room.MaxActive);
                LogAdaptiveRoom(logger, room.Name, min, room.MaxActive, adaptive.TargetP95.TotalSeconds, adaptive.MaxErrors);
            }

            if (room.MaxQueue > 0)
            {
                LogQueueCap(logger, room.Name, room.MaxQueue);
            }

            if (room.Event is { } e)
            {
                LogRoomEvent(logger, room.Name, e.PrequeueStart, e.Start, e.End, e.ShuffleAtStart);
            }
        }

        Access.AccessRules.LogAtStart(logger, _options);
        LogPromotion(logger, _options.ReleaseInterval.TotalSeconds);
        if (_options.BackendUrls.Count == 0)
        {
            LogDemoOrigin(logger);
        }
        else
        {
            var backends = string.Join(", ", _options.BackendUrls);
            LogBackends(logger, backends);
        }

        if (_options.AdminToken is null)
        {
            LogAdminOff(logger);
        }
        else
        {
            var id = new Operations.AdminToken(_options.AdminToken).Id;
            LogAdminOn(logger, id);
        }

        if (_options.ProofOfWork != ProofOfWork.ProofOfWorkMode.Off)
        {
            LogProofOfWork(logger, _options.ProofOfWork == ProofOfWork.ProofOfWorkMode.On ? "on" : "auto", _options.ProofOfWorkDifficulty);
        }

        // The store check runs beside the start: a Redis that is slow to connect (a TLS handshake,
        // AUTH) or down must not hold the listener back.
        _check = Task.Run(() => CheckStoreAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task CheckStoreAsync(CancellationToken cancellationToken)
    {
        try
        {
            var storeFailed = !_options.UsesInMemoryStore && !await RedisAnswersAsync(cancellationToken);
            if (_options.Secret is null)
            {
                if (!_options.UsesInMemoryStore)
                {
                    LogSharedSecret(logger);
                }

                try
                {
                    await signer.EnsureReadyAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
                }
                catch (Exception ex) when (ex is StoreUnavailableException or TimeoutException)
                {
                    if (!storeFailed)
                    {
                        LogStoreDownAtStart(logger, ex);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping before the check ended: nothing to report.
        }
    }

    /// <summary>
    /// One ping and one script over the default room's keys; on failure one line: an error naming the
    /// variable to fix (password, command, key, TLS refused), else the warning that the store is down.
    /// </summary>
    private async Task<bool> RedisAnswersAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        long probed = 0;
        while (true)
        {
            try
            {
                // The first ping goes to the client itself, without the room's short deadline and circuit:
                // its exception carries why the connection failed (WRONGPASS, a certificate), however long it took.
                await connection!.GetDatabase().PingAsync(CommandFlags.DemandMaster).WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
                await store.GetCountsAsync(_options.DefaultRoom.PolicyOf(RoomPhase.Normal), cancellationToken).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
                return true;
            }
            catch (Exception ex) when (ex is StoreUnavailableException or TimeoutException or RedisException)
            {
                // A call may only say it found no connection; the connection attempt says why.
                var failure = availability?.ConnectionFailure;
                if ((RedisProblem.Describe(_options, ex) ?? (failure is null ? null : RedisProblem.Describe(_options, failure))) is { } problem)
                {
                    LogRedisRefused(logger, problem);
                    return false;
                }

                // The client's failure may not carry Redis's answer ("UnableToConnect" on a loaded
                // machine): ask Redis itself, at most once a second, each probe bounded.
                if (probed == 0 || Stopwatch.GetElapsedTime(probed) >= TimeSpan.FromSeconds(1))
                {
                    probed = Stopwatch.GetTimestamp();
                    if (await RedisAuthProbe.AskAsync(_options, cancellationToken) is { } reply && RedisProblem.DescribeReply(_options, reply) is { } answered)
                    {
                        LogRedisRefused(logger, answered);
                        return false;
                    }
                }

                // A connection still being set up (TLS handshake, AUTH) fails without saying why: ask
                // again for a few seconds, so a refusal is named rather than reported as an outage.
                if (Stopwatch.GetElapsedTime(started) > RefusalWindow)
                {
                    LogStoreDownAtStart(logger, ex);
                    return false;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
            }
        }
    }

    /// <summary>
    /// How long the check asks again before a store failing without a reason counts as down: the client
    /// tells why (WRONGPASS, NOAUTH) only when its backlog times out, about 2 s in, later on a loaded machine.
    /// </summary>
    private static readonly TimeSpan RefusalWindow = TimeSpan.FromSeconds(15);

    public void Dispose() => _stopping.Dispose();

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _check.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    [LoggerMessage(EventId = EventIds.ConfigurationWarning, Level = LogLevel.Warning, EventName = nameof(EventIds.ConfigurationWarning), Message = "{Warning}")]
    private static partial void LogConfigurationWarning(ILogger logger, string warning);

    [LoggerMessage(EventId = EventIds.InMemoryStore, Level = LogLevel.Warning, EventName = nameof(EventIds.InMemoryStore),
        Message = "WR_REDIS_HOST is unset: using the embedded in-memory store. It serves ONE instance only and forgets every visitor on restart; set WR_REDIS_HOST to share one room between instances.")]
    private static partial void LogInMemoryStore(ILogger logger);

    [LoggerMessage(EventId = EventIds.RedisStore, Level = LogLevel.Information, EventName = nameof(EventIds.RedisStore),
        Message = "Using Redis at {Nodes} (TLS {Ssl}), key prefix '{Prefix}'.")]
    private static partial void LogRedisStore(ILogger logger, string nodes, bool ssl, string prefix);

    [LoggerMessage(EventId = EventIds.Room, Level = LogLevel.Information, EventName = nameof(EventIds.Room),
        Message = "Room '{Room}' (host {Host}, path {Path}): at most {MaxActive} active visitors, mode {Mode}, {NewUsersPerMinute} new per minute (0 = no cap), session cap {SessionMax} s (0 = none), {PerIp} new entries per client address per minute (0 = no cap); active TTL {ActiveTtl} s, queue TTL {QueueTtl} s, admission window {Window} s.")]
    private static partial void LogRoom(ILogger logger, string room, string host, string path, int maxActive, string mode, int newUsersPerMinute, double sessionMax, int perIp, double activeTtl, double queueTtl, double window);

    [LoggerMessage(EventId = EventIds.AdaptiveRoom, Level = LogLevel.Information, EventName = nameof(EventIds.AdaptiveRoom),
        Message = "Room '{Room}' is adaptive: the capacity follows the origin between {Min} and {Max}, keeping its p95 under {TargetP95} s and its error share under {MaxErrors}; it starts at the lower bound.")]
    private static partial void LogAdaptiveRoom(ILogger logger, string room, int min, int max, double targetP95, double maxErrors);

    [LoggerMessage(EventId = EventIds.ProofOfWorkOn, Level = LogLevel.Information, EventName = nameof(EventIds.ProofOfWorkOn),
        Message = "Proof of work is {Mode} (WR_POW): newcomers solve up to {Difficulty} bits before they take a place ('auto': only while a room is under pressure).")]
    private static partial void LogProofOfWork(ILogger logger, string mode, int difficulty);

    [LoggerMessage(EventId = EventIds.RoomEvent, Level = LogLevel.Information, EventName = nameof(EventIds.RoomEvent),
        Message = "Room '{Room}' has an event: pre-queue from {Prequeue}, open from {Start} to {End}, shuffle at start: {Shuffle}.")]
    private static partial void LogRoomEvent(ILogger logger, string room, DateTimeOffset? prequeue, DateTimeOffset start, DateTimeOffset end, bool shuffle);

    [LoggerMessage(EventId = EventIds.QueueCapOn, Level = LogLevel.Information, EventName = nameof(EventIds.QueueCapOn),
        Message = "Room {Room}: the queue holds at most {MaxQueue} waiters; newcomers past it get the \"queue full\" page, 503 (WR_MAX_QUEUE).")]
    private static partial void LogQueueCap(ILogger logger, string room, int maxQueue);

    [LoggerMessage(EventId = EventIds.Promotion, Level = LogLevel.Information, EventName = nameof(EventIds.Promotion),
        Message = "Promotion every {Interval} s.")]
    private static partial void LogPromotion(ILogger logger, double interval);

    [LoggerMessage(EventId = EventIds.DemoOrigin, Level = LogLevel.Warning, EventName = nameof(EventIds.DemoOrigin),
        Message = "WR_BACKEND_URL is unset: admitted visitors see the built-in demo origin.")]
    private static partial void LogDemoOrigin(ILogger logger);

    [LoggerMessage(EventId = EventIds.Backends, Level = LogLevel.Information, EventName = nameof(EventIds.Backends), Message = "Forwarding admitted visitors to {Backends}.")]
    private static partial void LogBackends(ILogger logger, string backends);

    [LoggerMessage(EventId = EventIds.AdminApiOff, Level = LogLevel.Information, EventName = nameof(EventIds.AdminApiOff),
        Message = "Admin API and dashboard off (WR_ADMIN_TOKEN is unset); /_wr/metrics is served.")]
    private static partial void LogAdminOff(ILogger logger);

    [LoggerMessage(EventId = EventIds.AdminApiOn, Level = LogLevel.Information, EventName = nameof(EventIds.AdminApiOn),
        Message = "Admin API and dashboard at /_wr/admin/ for the bearer token {TokenId}; /_wr/metrics is served.")]
    private static partial void LogAdminOn(ILogger logger, string tokenId);

    [LoggerMessage(EventId = EventIds.SharedSecret, Level = LogLevel.Information, EventName = nameof(EventIds.SharedSecret),
        Message = "WR_SECRET is unset: the cookie key is created once and shared through the store, so every instance accepts every other's cookies.")]
    private static partial void LogSharedSecret(ILogger logger);

    [LoggerMessage(EventId = EventIds.RedisRefused, Level = LogLevel.Error, EventName = nameof(EventIds.RedisRefused),
        Message = "{Problem} Until it is fixed /_wr/ready answers 503 and the room follows WR_FAILURE_MODE.")]
    private static partial void LogRedisRefused(ILogger logger, string problem);

    [LoggerMessage(EventId = EventIds.StoreDownAtStart, Level = LogLevel.Warning, EventName = nameof(EventIds.StoreDownAtStart),
        Message = "The store did not answer at start; the room follows WR_FAILURE_MODE until it does.")]
    private static partial void LogStoreDownAtStart(ILogger logger, Exception exception);
}
