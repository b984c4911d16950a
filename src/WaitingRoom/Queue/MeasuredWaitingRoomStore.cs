using System.Diagnostics;
using WaitingRoom.Operations;

namespace WaitingRoom.Queue;

/// <summary>
/// Wraps the store to measure every call: round-trip time and failures by operation, for
/// /_wr/metrics. Adds two timestamps and one histogram record per call; no behaviour changes.
/// </summary>
internal sealed class MeasuredWaitingRoomStore : IWaitingRoomStore
{
    private readonly IWaitingRoomStore _inner;
    private readonly WaitingRoomMetrics _metrics;

    public MeasuredWaitingRoomStore(IWaitingRoomStore inner, WaitingRoomMetrics metrics)
    {
        _inner = inner;
        _metrics = metrics;
    }

    /// <summary>The store being measured.</summary>
    public IWaitingRoomStore Inner => _inner;

    public string Kind => _inner.Kind;

    public Task<AdmissionResult> AdmitAsync(RoomPolicy room, string visitorId, string? clientKey, CancellationToken cancellationToken) =>
        MeasureAsync("admit", Stopwatch.GetTimestamp(), _inner.AdmitAsync(room, visitorId, clientKey, cancellationToken));

    public Task<AdmissionResult> AdmitKnownAsync(RoomPolicy room, string visitorId, CancellationToken cancellationToken) =>
        MeasureAsync("admit", Stopwatch.GetTimestamp(), _inner.AdmitKnownAsync(room, visitorId, cancellationToken));

    public Task<AdmissionResult> GetStatusAsync(RoomPolicy room, string visitorId, CancellationToken cancellationToken) =>
        MeasureAsync("status", Stopwatch.GetTimestamp(), _inner.GetStatusAsync(room, visitorId, cancellationToken));

    public Task<PromotionResult> PromoteAsync(RoomPolicy room, int limit, CancellationToken cancellationToken) =>
        MeasureAsync("promote", Stopwatch.GetTimestamp(), _inner.PromoteAsync(room, limit, cancellationToken));

    public Task<bool> ReleaseAsync(RoomPolicy room, string visitorId, CancellationToken cancellationToken) =>
        MeasureAsync("release", Stopwatch.GetTimestamp(), _inner.ReleaseAsync(room, visitorId, cancellationToken));

    public Task<IReadOnlyList<string>> TouchAsync(RoomPolicy room, IReadOnlyList<string> visitorIds, CancellationToken cancellationToken) =>
        MeasureAsync("touch", Stopwatch.GetTimestamp(), _inner.TouchAsync(room, visitorIds, cancellationToken));

    public Task<CapacityState> GetCapacityAsync(RoomPolicy room, CancellationToken cancellationToken) =>
        MeasureAsync("capacity-get", Stopwatch.GetTimestamp(), _inner.GetCapacityAsync(room, cancellationToken));

    public Task<CapacityState?> TrySetCapacityAsync(RoomPolicy room, CapacityChange change, CancellationToken cancellationToken) =>
        MeasureAsync("capacity-set", Stopwatch.GetTimestamp(), _inner.TrySetCapacityAsync(room, change, cancellationToken));

    public Task<IReadOnlyList<CapacityChangeRecord>> GetCapacityChangesAsync(RoomPolicy room, CancellationToken cancellationToken) =>
        MeasureAsync("capacity-changes", Stopwatch.GetTimestamp(), _inner.GetCapacityChangesAsync(room, cancellationToken));

    public Task<StateTransition> RecordTransitionAsync(RoomPolicy room, string subject, string state, CancellationToken cancellationToken) =>
        MeasureAsync("transition", Stopwatch.GetTimestamp(), _inner.RecordTransitionAsync(room, subject, state, cancellationToken));

    public Task<IReadOnlyList<string>> ShareWindowAsync(RoomPolicy room, string instance, string window, TimeSpan maxAge, CancellationToken cancellationToken) =>
        MeasureAsync("window-share", Stopwatch.GetTimestamp(), _inner.ShareWindowAsync(room, instance, window, maxAge, cancellationToken));

    public Task<bool> AddAnalyticsAsync(RoomPolicy room, Analytics.AnalyticsBatch batch, CancellationToken cancellationToken) =>
        MeasureAsync("analytics-add", Stopwatch.GetTimestamp(), _inner.AddAnalyticsAsync(room, batch, cancellationToken));

    public Task<IReadOnlyList<Analytics.AnalyticsMinute>> GetAnalyticsAsync(RoomPolicy room, long fromMinute, long toMinute, CancellationToken cancellationToken) =>
        MeasureAsync("analytics-get", Stopwatch.GetTimestamp(), _inner.GetAnalyticsAsync(room, fromMinute, toMinute, cancellationToken));

    public Task<QueueSnapshot> GetQueueSnapshotAsync(RoomPolicy room, CancellationToken cancellationToken) =>
        MeasureAsync("snapshot", Stopwatch.GetTimestamp(), _inner.GetQueueSnapshotAsync(room, cancellationToken));

    public Task<RoomCounts> GetCountsAsync(RoomPolicy room, CancellationToken cancellationToken) =>
        MeasureAsync("counts", Stopwatch.GetTimestamp(), _inner.GetCountsAsync(room, cancellationToken));

    // Access codes.
    public Task<bool> CreateCodeAsync(RoomPolicy room, Codes.AccessCode code, int maxCodes, CancellationToken cancellationToken) =>
        MeasureAsync("code-create", Stopwatch.GetTimestamp(), _inner.CreateCodeAsync(room, code, maxCodes, cancellationToken));

    public Task<IReadOnlyList<Codes.AccessCode>> ListCodesAsync(RoomPolicy room, CancellationToken cancellationToken) =>
        MeasureAsync("code-list", Stopwatch.GetTimestamp(), _inner.ListCodesAsync(room, cancellationToken));

    public Task<Codes.AccessCode?> RevokeCodeAsync(RoomPolicy room, string id, CancellationToken cancellationToken) =>
        MeasureAsync("code-revoke", Stopwatch.GetTimestamp(), _inner.RevokeCodeAsync(room, id, cancellationToken));

    public Task<Codes.CodeRedemption> RedeemCodeAsync(RoomPolicy room, string id, string hash, string visitorId, CancellationToken cancellationToken) =>
        MeasureAsync("code-redeem", Stopwatch.GetTimestamp(), _inner.RedeemCodeAsync(room, id, hash, visitorId, cancellationToken));

    public Task<long> ResetQueueAsync(RoomPolicy room, CancellationToken cancellationToken) =>
        MeasureAsync("reset", Stopwatch.GetTimestamp(), _inner.ResetQueueAsync(room, cancellationToken));

    public Task<string?> GetDocumentAsync(string name, CancellationToken cancellationToken) =>
        MeasureAsync("document-get", Stopwatch.GetTimestamp(), _inner.GetDocumentAsync(name, cancellationToken));

    public Task<bool> TrySetDocumentAsync(string name, string? expected, string value, CancellationToken cancellationToken) =>
        MeasureAsync("document-set", Stopwatch.GetTimestamp(), _inner.TrySetDocumentAsync(name, expected, value, cancellationToken));

    public Task<string> GetOrCreateSecretAsync(string candidate, CancellationToken cancellationToken) =>
        MeasureAsync("secret", Stopwatch.GetTimestamp(), _inner.GetOrCreateSecretAsync(candidate, cancellationToken));

    public async Task PingAsync(CancellationToken cancellationToken) =>
        await MeasureAsync("ping", Stopwatch.GetTimestamp(), PingAsTask(cancellationToken));

    private async Task<bool> PingAsTask(CancellationToken cancellationToken)
    {
        await _inner.PingAsync(cancellationToken);
        return true;
    }

    /// <summary>Awaits a call started at <paramref name="started"/> (taken before the call, so its synchronous part counts too).</summary>
    private async Task<T> MeasureAsync<T>(string operation, long started, Task<T> call)
    {
        try
        {
            var result = await call;
            _metrics.StoreCall(operation, Stopwatch.GetElapsedTime(started).TotalSeconds, failed: false);
            return result;
        }
        catch (StoreUnavailableException)
        {
            _metrics.StoreCall(operation, Stopwatch.GetElapsedTime(started).TotalSeconds, failed: true);
            throw;
        }
    }
}
