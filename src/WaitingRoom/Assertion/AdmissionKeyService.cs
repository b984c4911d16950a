using Microsoft.Extensions.Logging;
using WaitingRoom.Queue;

namespace WaitingRoom.Assertion;

/// <summary>
/// Keeps the admission keys current (<see cref="AdmissionKeyRing.RefreshAsync"/>) every
/// <see cref="Interval"/> and forgets expired assertions. The first load runs before the instance
/// takes requests (bounded by the store's own deadlines), so its first admitted visitor is signed.
/// </summary>
internal sealed partial class AdmissionKeyService(AdmissionKeyRing ring, AdmissionAssertions assertions, TimeProvider time, ILogger<AdmissionKeyService> logger)
    : IntervalService(time, Interval)
{
    /// <summary>Time between rounds: rotation is planned an hour ahead, so a minute is plenty.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await RunPassAsync(cancellationToken);
        if (ring.ListedKids.Count > 0)
        {
            LogOn(logger, ring.ListedKids[0], ring.ListedKids.Count);
        }

        await base.StartAsync(cancellationToken);
    }

    protected override Task RunPassAsync(CancellationToken cancellationToken) =>
        RunReportingOutagesAsync(
            async token =>
            {
                assertions.Sweep();
                await ring.RefreshAsync(token);
            },
            ex => LogFailed(logger, ex),
            () => LogRecovered(logger),
            cancellationToken);

    [LoggerMessage(EventId = EventIds.AdmissionAssertionsOn, Level = LogLevel.Information, EventName = nameof(EventIds.AdmissionAssertionsOn),
        Message = "WR-Admission is on: admitted requests are signed with key {Kid}; {Count} key(s) listed at /_wr/.well-known/jwks.json.")]
    private static partial void LogOn(ILogger logger, string kid, int count);

    [LoggerMessage(EventId = EventIds.AdmissionKeysFailed, Level = LogLevel.Warning, EventName = nameof(EventIds.AdmissionKeysFailed),
        Message = "Could not load or rotate the admission signing keys in the store; the keys in force stay, and the next round tries again.")]
    private static partial void LogFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = EventIds.AdmissionKeysRecovered, Level = LogLevel.Information, EventName = nameof(EventIds.AdmissionKeysRecovered),
        Message = "The admission signing keys load from the store again.")]
    private static partial void LogRecovered(ILogger logger);
}
