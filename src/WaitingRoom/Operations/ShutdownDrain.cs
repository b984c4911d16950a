using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using WaitingRoom.Configuration;

namespace WaitingRoom.Operations;

/// <summary>
/// The first step of a graceful stop (SIGTERM): for WR_SHUTDOWN_DELAY the room keeps serving while
/// /_wr/ready answers 503, so a load balancer takes it out before the listener closes.
/// </summary>
internal sealed class ShutdownDrain(IOptions<WaitingRoomOptions> options, TimeProvider time) : IHostedLifecycleService
{
    private readonly TimeSpan _delay = options.Value.ShutdownDelay;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        if (_delay > TimeSpan.Zero)
        {
            // When the shutdown timeout runs out first, stop now.
            await Task.Delay(_delay, time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
