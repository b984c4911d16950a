using Serilog.Core;
using Serilog.Events;
using Serilog.Parsing;
using WaitingRoom.Operations;
using Xunit;

namespace WaitingRoom.Tests.Operations;

/// <summary>
/// The request log's batching (<see cref="PeriodicBatchingSink"/>): a full batch and the first event
/// go out at once, the rest at the period or at disposal, never one wake-up per event, and events
/// past the bound are dropped. The period is an hour throughout, so no test waits for it.
/// </summary>
public sealed class PeriodicBatchingSinkTests
{
    private static readonly TimeSpan s_hour = TimeSpan.FromHours(1);
    private static readonly MessageTemplate s_template = new MessageTemplateParser().Parse("{N}");

    [Fact]
    public async Task Emit_TheFirstEvent_WrittenAtOnce()
    {
        var target = new RecordingTarget();
        using var sink = new PeriodicBatchingSink(target, batchSize: 100, s_hour, queueLimit: 1_000);

        sink.Emit(Event(1));

        await target.UntilAsync(events: 1);
        Assert.Equal([[1]], target.Batches);
    }

    [Fact]
    public async Task Emit_LessThanABatchAfterTheFirst_HeldUntilDisposedThenAllWrittenInOrder()
    {
        // Arrange
        var target = new RecordingTarget();
        var sink = await StartedAsync(target, batchSize: 100, queueLimit: 1_000);

        // Act: 50 events, half a batch: no wake-up for any of them.
        for (var n = 1; n <= 50; n++)
        {
            sink.Emit(Event(n));
        }

        await Task.Delay(200);
        var beforeDispose = target.Events;
        sink.Dispose();

        // Assert
        Assert.Equal(1, beforeDispose);
        Assert.Equal(Enumerable.Range(0, 51), target.Batches.SelectMany(b => b));
        Assert.True(target.Disposed);
    }

    [Fact]
    public async Task Emit_AFullBatch_WrittenWithoutWaitingForThePeriod()
    {
        var target = new RecordingTarget();
        using var sink = await StartedAsync(target, batchSize: 10, queueLimit: 1_000);

        for (var n = 1; n <= 10; n++)
        {
            sink.Emit(Event(n));
        }

        await target.UntilAsync(events: 11);
        Assert.Equal([[0], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]], target.Batches);
    }

    [Fact]
    public async Task Emit_MoreThanTheBoundWhileTheTargetIsBusy_TheRestDropped()
    {
        // Arrange: the target holds on to the first batch.
        var target = new RecordingTarget { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        var sink = await StartedAsync(target, batchSize: 10, queueLimit: 20);

        // Act: 25 events while it is busy, 20 of them held.
        for (var n = 1; n <= 25; n++)
        {
            sink.Emit(Event(n));
        }

        target.Gate.SetResult();
        sink.Dispose();

        // Assert
        Assert.Equal(Enumerable.Range(0, 21), target.Batches.SelectMany(b => b));
    }

    /// <summary>A sink whose first event (0) has been written, as it is at once.</summary>
    private static async Task<PeriodicBatchingSink> StartedAsync(RecordingTarget target, int batchSize, int queueLimit)
    {
        var sink = new PeriodicBatchingSink(target, batchSize, s_hour, queueLimit);
        sink.Emit(Event(0));
        await target.UntilAsync(events: 1);
        return sink;
    }

    private static LogEvent Event(int n) => new(DateTimeOffset.UnixEpoch, LogEventLevel.Information, null, s_template, [new LogEventProperty("N", new ScalarValue(n))]);

    private sealed class RecordingTarget : IBatchedLogEventSink, IDisposable
    {
        private readonly Lock _lock = new();
        private readonly List<int[]> _batches = [];

        public TaskCompletionSource? Gate { get; init; }

        public bool Disposed { get; private set; }

        public List<int[]> Batches
        {
            get
            {
                lock (_lock)
                {
                    return [.. _batches];
                }
            }
        }

        public int Events => Batches.Sum(b => b.Length);

        public async Task EmitBatchAsync(IReadOnlyCollection<LogEvent> batch)
        {
            var numbers = batch.Select(e => (int)((ScalarValue)e.Properties["N"]).Value!).ToArray();
            lock (_lock)
            {
                _batches.Add(numbers);
            }

            if (Gate is { } gate)
            {
                await gate.Task;
            }
        }

        public Task OnEmptyBatchAsync() => Task.CompletedTask;

        public async Task UntilAsync(int events)
        {
            for (var waited = 0; Events < events; waited += 10)
            {
                Assert.True(waited < 10_000, $"{Events} of {events} events written after 10 s");
                await Task.Delay(10);
            }
        }

        public void Dispose() => Disposed = true;
    }
}
