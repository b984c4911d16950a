using Microsoft.Extensions.Logging;
using WaitingRoom.Queue;
using WaitingRoom.Rooms;

namespace WaitingRoom.Analytics;

/// <summary>
/// Every <see cref="Interval"/> (and once more on shutdown): adds this instance's counts to the store,
/// one store call per room with data. A batch is frozen with its sequence number and sent again,
/// unchanged, until the store answers, so a failed flush (store down, timeout with an unknown outcome)
/// neither loses nor doubles a count; counts recorded meanwhile wait for the next batch. A failure is
/// logged once per outage.
/// </summary>
internal sealed partial class AnalyticsFlusher(
    AnalyticsRecorder recorder,
    IWaitingRoomStore store,
    RoomTable rooms,
    TimeProvider time,
    ILogger<AnalyticsFlusher> logger,
    StoreAvailability? availability = null)
    : IntervalService(time, Interval)
{
    /// <summary>Six flushes a minute: the dashboard lags by this much at most, and the store sees one call per room per interval.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    /// <summary>Batches sent per room and pass at most (a backlog after an outage drains over a few passes).</summary>
    private const int BatchesPerPass = 4;

    /// <summary>This process among the instances that share the store.</summary>
    private readonly string _instance = Guid.NewGuid().ToString("N")[..16];

    private readonly TimeProvider _time = time;
    private readonly Dictionary<string, RoomBacklog> _backlogs = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);

    protected override Task RunPassAsync(CancellationToken cancellationToken) =>
        RunReportingOutagesAsync(FlushAsync, ex => LogFailed(logger, ex), () => LogRecovered(logger), cancellationToken);

    /// <summary>One flush of every room; throws the first failure after trying every room.</summary>
    internal async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            Exception? failure = null;
            var now = _time.GetUtcNow();
            foreach (var name in recorder.Rooms.ToList())
            {
                if (rooms.Find(name) is not { } room)
                {
                    continue;
                }

                try
                {
                    await FlushRoomAsync(room.PolicyAt(now), now, cancellationToken);
                }
                catch (StoreUnavailableException ex)
                {
                    failure ??= ex;
                }
            }

            if (failure is not null)
            {
                throw failure;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task FlushRoomAsync(RoomPolicy policy, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!_backlogs.TryGetValue(policy.Name, out var backlog))
        {
            _backlogs[policy.Name] = backlog = new RoomBacklog();
        }

        foreach (var minute in recorder.Drain(policy.Name))
        {
            if (backlog.Pending.TryGetValue(minute.Minute, out var pending))
            {
                pending.Add(minute);
            }
            else
            {
                backlog.Pending[minute.Minute] = minute;
            }
        }

        // Minutes past the retention would expire at once: not worth a call.
        var oldest = (now - AnalyticsBatch.Retention).ToUnixTimeMilliseconds() / 60_000;
        foreach (var old in backlog.Pending.Keys.Where(m => m < oldest).ToList())
        {
            backlog.Pending.Remove(old);
        }

        for (var i = 0; i < BatchesPerPass; i++)
        {
            if (backlog.InFlight is null)
            {
                if (backlog.Pending.Count == 0)
                {
                    return;
                }

                var minutes = backlog.Pending.Values.Take(AnalyticsBatch.MaxMinutes).ToList();
                foreach (var minute in minutes)
                {
                    backlog.Pending.Remove(minute.Minute);
                }

                backlog.InFlight = new AnalyticsBatch(_instance, ++backlog.Sequence, minutes);
            }

            // Applied or already applied (a retry of a batch whose answer was lost): either way it is in the store once.
            await store.AddAnalyticsAsync(policy, backlog.InFlight, cancellationToken);
            backlog.InFlight = null;
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);

        // A graceful stop hands over what this instance counted since the last flush (not to a store
        // known to be down: the stop would only wait for it).
        if (availability?.IsDown == true)
        {
            return;
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try
        {
            await FlushAsync(deadline.Token);
        }
        catch (Exception ex) when (ex is StoreUnavailableException or OperationCanceledException)
        {
            LogFailed(logger, ex);
        }
    }

    private sealed class RoomBacklog
    {
        /// <summary>Counts not yet in a batch, by minute, oldest first.</summary>
        public readonly SortedDictionary<long, AnalyticsMinute> Pending = [];

        /// <summary>The batch sent and not yet confirmed: sent again as it is.</summary>
        public AnalyticsBatch? InFlight;

        public long Sequence;
    }

    [LoggerMessage(EventId = EventIds.AnalyticsFlushFailed, Level = LogLevel.Warning, EventName = nameof(EventIds.AnalyticsFlushFailed),
        Message = "Could not add this instance's analytics to the store; the counts are kept and sent again at the next flush.")]
    private static partial void LogFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = EventIds.AnalyticsFlushRecovered, Level = LogLevel.Information, EventName = nameof(EventIds.AnalyticsFlushRecovered),
        Message = "Analytics reach the store again; the counts kept meanwhile are added.")]
    private static partial void LogRecovered(ILogger logger);
}
