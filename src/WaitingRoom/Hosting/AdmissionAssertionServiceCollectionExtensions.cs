using WaitingRoom.Assertion;
using WaitingRoom.Configuration;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The composition step of the signed admission assertion (WR_ADMISSION_HEADER).</summary>
internal static class AdmissionAssertionServiceCollectionExtensions
{
    /// <summary>With WR_ADMISSION_HEADER=on: the key ring, the assertion cache and the key service; off, nothing (the transform only strips).</summary>
    internal static IServiceCollection AddWaitingRoomAdmissionAssertion(this IServiceCollection services, WaitingRoomOptions options)
    {
        if (!options.AdmissionHeader)
        {
            return services;
        }

        services.AddSingleton<AdmissionKeyRing>();
        services.AddSingleton<AdmissionAssertions>();
        services.AddHostedService<AdmissionKeyService>();
        return services;
    }
}
