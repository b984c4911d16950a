using Microsoft.Extensions.Logging;

namespace WaitingRoom.Queue;

/// <summary>
/// Every <see cref="AdmissionCache.FlushInterval"/>: writes the last-seen of visitors admitted from
/// this instance's memory back to the store and forgets those the store no longer holds active.
/// A failed flush is logged once per outage; the entries run out within their lifetime and the
/// requests go to the store (and its failure mode) again.
/// </summary>
internal sealed partial class AdmissionCacheFlusher : IntervalService
{
    private readonly AdmissionCache _cache;
    private readonly ILogger<AdmissionCacheFlusher> _logger;

    public AdmissionCacheFlusher(AdmissionCache cache, TimeProvider time, ILogger<AdmissionCacheFlusher> logger)
        : base(time, cache.FlushInterval)
    {
        _cache = cache;
        _logger = logger;
    }

    protected override Task RunPassAsync(CancellationToken cancellationToken) =>
        RunReportingOutagesAsync(_cache.FlushAsync, ex => Log.FlushFailed(_logger, ex), null, cancellationToken);

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.AdmissionCacheFlushFailed, Level = LogLevel.Warning, EventName = nameof(EventIds.AdmissionCacheFlushFailed),
            Message = "Could not write admitted visitors' last-seen to the store; their requests go to the store again once their cache entries run out.")]
        public static partial void FlushFailed(ILogger logger, Exception exception);
    }
}
