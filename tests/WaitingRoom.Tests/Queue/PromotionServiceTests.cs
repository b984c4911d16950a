using Microsoft.Extensions.Time.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using WaitingRoom.Configuration;
using WaitingRoom.Queue;
using WaitingRoom.Rooms;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.Queue;

public sealed class PromotionServiceTests
{
    private static readonly RoomPolicy s_room = new("default", 10, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(120));

    private readonly FakeTimeProvider _clock = new();

    private static readonly RoomTable s_rooms = new([new RoomSettings { MaxActive = 10 }]);

    private PromotionService Service(IWaitingRoomStore store, PromotionRates? rates = null, ILogger<PromotionService>? logger = null, WaitingRoomOptions? options = null) =>
        new(store, s_rooms, rates ?? new PromotionRates(_clock), _clock, Options.Create(options ?? new WaitingRoomOptions()), logger ?? NullLogger<PromotionService>.Instance);

    private static PromotionResult Promoted(long promoted, long total, bool hasMore = false) => new(0, 0, 0, promoted, total, hasMore);

    [Fact]
    public async Task RunRoundAsync_StoreThrowsOnFirstCall_RoundSurvivesAndNextRoundPromotes()
    {
        // Arrange
        var store = new ScriptedStore(
            _ => throw new StoreUnavailableException("redis down"),
            _ => Promoted(3, 3));
        var logger = new ListLogger();
        var service = Service(store, logger: logger);

        // Act
        var first = await Record.ExceptionAsync(() => service.RunRoundAsync(default));
        var callsAfterFirst = store.Calls.Count;
        await service.RunRoundAsync(default);

        // Assert
        Assert.Null(first);
        Assert.Equal(1, callsAfterFirst);
        Assert.Equal(2, store.Calls.Count);
        var failure = Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning);
        Assert.Equal(201, failure.EventId.Id);
        Assert.IsType<StoreUnavailableException>(failure.Exception);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Information && e.EventId.Id == 200 && e.Message.Contains("promoted 3", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunRoundAsync_HasMoreTwiceThenDone_PromoteCalledThreeTimesInOneRound()
    {
        // Arrange
        var store = new ScriptedStore(
            _ => Promoted(2000, 2000, hasMore: true),
            _ => Promoted(2000, 4000, hasMore: true),
            _ => Promoted(5, 4005));
        var service = Service(store);

        // Act
        await service.RunRoundAsync(default);

        // Assert
        Assert.Equal(3, store.Calls.Count);
        Assert.All(store.Calls, call =>
        {
            Assert.Equal(RoomPolicy.DefaultName, call.Room.Name);
            Assert.Equal(PromotionService.BatchLimit, call.Limit);
        });
    }

    [Fact]
    public async Task RunRoundAsync_AlwaysHasMore_StopsAfterFiftyBatches()
    {
        // Arrange
        var store = new ScriptedStore(call => Promoted(1, call + 1, hasMore: true));
        var service = Service(store);

        // Act
        await service.RunRoundAsync(default);

        // Assert
        Assert.Equal(50, store.Calls.Count);
    }

    [Fact]
    public async Task RunRoundAsync_FailsMidRound_LaterBatchesSkippedUntilNextRound()
    {
        // Arrange
        var store = new ScriptedStore(
            _ => Promoted(1, 1, hasMore: true),
            _ => throw new TimeoutException("slow"),
            _ => Promoted(1, 2));
        var service = Service(store);

        // Act
        await service.RunRoundAsync(default);
        var callsAfterFirst = store.Calls.Count;
        await service.RunRoundAsync(default);

        // Assert
        Assert.Equal(2, callsAfterFirst);
        Assert.Equal(3, store.Calls.Count);
    }

    [Fact]
    public async Task RunRoundAsync_EachBatch_RecordsPromotedTotalForEstimates()
    {
        // Arrange
        var rates = new PromotionRates(_clock);
        var estimator = rates.For("default");
        var total = 0L;
        var store = new ScriptedStore(_ =>
        {
            total += 20;
            return Promoted(20, total);
        });
        var service = Service(store, rates);

        // Act
        await service.RunRoundAsync(default);
        _clock.Advance(TimeSpan.FromSeconds(2));
        await service.RunRoundAsync(default);

        // Assert
        Assert.Equal(10.0, estimator.RatePerSecond());
    }

    [Fact]
    public async Task RunRoundAsync_CancelledWhileStoreCalled_ThrowsOperationCanceled()
    {
        // Arrange
        using var cancellation = new CancellationTokenSource();
        var store = new ScriptedStore(_ =>
        {
            cancellation.Cancel();
            throw new OperationCanceledException(cancellation.Token);
        });
        var service = Service(store);

        // Act
        var exception = await Record.ExceptionAsync(() => service.RunRoundAsync(cancellation.Token));

        // Assert
        Assert.IsAssignableFrom<OperationCanceledException>(exception);
    }

    [Fact]
    public async Task RunRoundAsync_StoreTimesOutAsCanceledWithoutShutdown_LoggedNotThrown()
    {
        // Arrange
        var store = new ScriptedStore(_ => throw new TaskCanceledException("client timeout"));
        var logger = new ListLogger();
        var service = Service(store, logger: logger);

        // Act
        var exception = await Record.ExceptionAsync(() => service.RunRoundAsync(default));

        // Assert
        Assert.Null(exception);
        Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning && e.EventId.Id == 201);
    }

    [Fact]
    public async Task ExecuteAsync_StoreFailsFirstRound_KeepsPromotingOnLaterTicks()
    {
        // Arrange: the PeriodicTimer runs on the fake clock, so every tick is one Advance.
        var store = new ScriptedStore(
            _ => throw new StoreUnavailableException("redis down"),
            _ => throw new InvalidOperationException("unexpected"),
            _ => Promoted(1, 1));
        var interval = TimeSpan.FromSeconds(1);
        using var service = Service(store, options: new WaitingRoomOptions { ReleaseInterval = interval });

        // Act: the first round runs at start, each Advance of one interval runs one more.
        await service.StartAsync(default);
        await CallsReachAsync(store, 1);
        for (var round = 2; round <= 5; round++)
        {
            _clock.Advance(interval);
            await CallsReachAsync(store, round);
        }

        await service.StopAsync(default);

        // Assert
        Assert.Equal(5, store.Calls.Count);
        Assert.True(service.ExecuteTask!.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task ExecuteAsync_LessThanAnInterval_NoSecondRound()
    {
        // Arrange
        var store = new ScriptedStore(_ => Promoted(0, 0));
        var interval = TimeSpan.FromSeconds(1);
        using var service = Service(store, options: new WaitingRoomOptions { ReleaseInterval = interval });
        await service.StartAsync(default);
        await CallsReachAsync(store, 1);

        // Act
        _clock.Advance(interval - TimeSpan.FromMilliseconds(1));
        await Task.Yield();
        var beforeTheTick = store.Calls.Count;
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        await CallsReachAsync(store, 2);
        await service.StopAsync(default);

        // Assert
        Assert.Equal(1, beforeTheTick);
    }

    /// <summary>Waits (real time, generous bound) until the service's loop has made <paramref name="count"/> store calls.</summary>
    private static async Task CallsReachAsync(ScriptedStore store, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (store.Calls.Count < count)
        {
            await Task.Delay(1, timeout.Token);
        }
    }

    /// <summary>A store whose PromoteAsync answers follow a script; the last step repeats.</summary>
    private sealed class ScriptedStore : IWaitingRoomStore
    {
        private readonly Func<int, PromotionResult>[] _steps;
        private readonly Lock _lock = new();
        private readonly List<(RoomPolicy Room, int Limit)> _calls = [];

        public ScriptedStore(params Func<int, PromotionResult>[] steps)
        {
            _steps = steps;
        }

        public IReadOnlyList<(RoomPolicy Room, int Limit)> Calls
        {
            get
            {
                lock (_lock)
                {
                    return [.. _calls];
                }
            }
        }

        public string Kind => "scripted";

        public Task<PromotionResult> PromoteAsync(RoomPolicy room, int limit, CancellationToken cancellationToken)
        {
            int call;
            lock (_lock)
            {
                call = _calls.Count;
                _calls.Add((room, limit));
            }

            try
            {
                var result = _steps[Math.Min(call, _steps.Length - 1)](call);
                return Task.FromResult(result);
            }
            catch (Exception ex)
            {
                return Task.FromException<PromotionResult>(ex);
            }
        }

        public Task<AdmissionResult> AdmitAsync(RoomPolicy room, string visitorId, string? clientKey, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<AdmissionResult> AdmitKnownAsync(RoomPolicy room, string visitorId, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<bool> ReleaseAsync(RoomPolicy room, string visitorId, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<AdmissionResult> GetStatusAsync(RoomPolicy room, string visitorId, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<CapacityState> GetCapacityAsync(RoomPolicy room, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<CapacityState?> TrySetCapacityAsync(RoomPolicy room, CapacityChange change, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<CapacityChangeRecord>> GetCapacityChangesAsync(RoomPolicy room, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<string>> ShareWindowAsync(RoomPolicy room, string instance, string window, TimeSpan maxAge, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<StateTransition> RecordTransitionAsync(RoomPolicy room, string subject, string state, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<QueueSnapshot> GetQueueSnapshotAsync(RoomPolicy room, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<RoomCounts> GetCountsAsync(RoomPolicy room, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<bool> AddAnalyticsAsync(RoomPolicy room, WaitingRoom.Analytics.AnalyticsBatch batch, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<WaitingRoom.Analytics.AnalyticsMinute>> GetAnalyticsAsync(RoomPolicy room, long fromMinute, long toMinute, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<string>> TouchAsync(RoomPolicy room, IReadOnlyList<string> visitorIds, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<string> GetOrCreateSecretAsync(string candidate, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task PingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        // Access codes: not used here.
        public Task<bool> CreateCodeAsync(RoomPolicy room, WaitingRoom.Codes.AccessCode code, int maxCodes, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<WaitingRoom.Codes.AccessCode>> ListCodesAsync(RoomPolicy room, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<WaitingRoom.Codes.AccessCode?> RevokeCodeAsync(RoomPolicy room, string id, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<WaitingRoom.Codes.CodeRedemption> RedeemCodeAsync(RoomPolicy room, string id, string hash, string visitorId, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<long> ResetQueueAsync(RoomPolicy room, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<string?> GetDocumentAsync(string name, CancellationToken cancellationToken) => Task.FromResult<string?>(null);

        public Task<bool> TrySetDocumentAsync(string name, string? expected, string value, CancellationToken cancellationToken) => throw new NotSupportedException();
    }

    /// <summary>Keeps every log entry so a test can see what was logged.</summary>
    private sealed class ListLogger : ILogger<PromotionService>
    {
        private readonly Lock _lock = new();
        private readonly List<(LogLevel Level, EventId EventId, string Message, Exception? Exception)> _entries = [];

        public IReadOnlyList<(LogLevel Level, EventId EventId, string Message, Exception? Exception)> Entries
        {
            get
            {
                lock (_lock)
                {
                    return [.. _entries];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_lock)
            {
                _entries.Add((logLevel, eventId, formatter(state, exception), exception));
            }
        }
    }
}
