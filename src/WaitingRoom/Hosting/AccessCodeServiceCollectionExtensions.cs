using WaitingRoom.Codes;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The composition step of the access codes (Codes/): invite links, the queue page's form, the admin endpoints.</summary>
internal static class AccessCodeServiceCollectionExtensions
{
    /// <summary>Always on: a room without codes pays one substring search of a query string per request, nothing more.</summary>
    internal static IServiceCollection AddWaitingRoomAccessCodes(this IServiceCollection services)
    {
        services.AddSingleton<CodeGuessLimiter>();
        services.AddSingleton<AccessCodeRedeemer>();
        services.AddSingleton<AccessCodeEndpoints>();
        return services;
    }
}
