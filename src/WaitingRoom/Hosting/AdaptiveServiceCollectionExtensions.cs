using WaitingRoom.Adaptive;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the adaptive capacity: the measurement of forwarded requests, the last signals and the controller's loop.</summary>
internal static class AdaptiveServiceCollectionExtensions
{
    internal static IServiceCollection AddWaitingRoomAdaptiveCapacity(this IServiceCollection services)
    {
        services.AddSingleton<ForwardingMeasurements>();
        services.AddSingleton<AdaptiveSignals>();

        // Runs on every instance, also with no adaptive room (a PATCH may turn one on); a pass without one costs nothing.
        services.AddHostedService<AdaptiveCapacityService>();
        return services;
    }
}
