using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using WaitingRoom.Configuration;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Composition of the configuration: the WR_* options and Kestrel's limits.</summary>
internal static class ConfigurationServiceCollectionExtensions
{
    /// <summary>
    /// Reads the WR_* variables and Kestrel's limits once (<see cref="WaitingRoomOptionsReader.Check"/>): <c>IOptions&lt;WaitingRoomOptions&gt;</c>
    /// is the options read, validated when first asked for and at start (ValidateOnStart), so a bad value stops the host with an
    /// <see cref="OptionsValidationException"/> whose failures are the error lines. Kestrel's limits are bound onto Kestrel's own options.
    /// </summary>
    /// <returns>The options, for the composition steps that depend on them (nothing starts when they are not valid).</returns>
    public static WaitingRoomOptions AddWaitingRoomConfiguration(this IServiceCollection services, IConfiguration configuration)
    {
        var (options, errors, warnings) = WaitingRoomOptionsReader.Check(configuration);
        services.AddSingleton<IValidateOptions<WaitingRoomOptions>>(new WaitingRoomOptionsValidator(errors));
        services.AddSingleton<IOptionsFactory<WaitingRoomOptions>>(sp => new ReadOptionsFactory(
            options, sp.GetServices<IConfigureOptions<WaitingRoomOptions>>(), sp.GetServices<IPostConfigureOptions<WaitingRoomOptions>>(), sp.GetServices<IValidateOptions<WaitingRoomOptions>>()));
        services.AddOptions<WaitingRoomOptions>().ValidateOnStart();
        services.AddSingleton(new StartupWarnings(warnings));
        services.Configure<KestrelServerOptions>(kestrel => KestrelLimits.Apply(configuration, kestrel.Limits));
        return options;
    }

    /// <summary>The framework's factory (configure, post-configure, validate) around the one instance read.</summary>
    private sealed class ReadOptionsFactory(
        WaitingRoomOptions options,
        IEnumerable<IConfigureOptions<WaitingRoomOptions>> setups,
        IEnumerable<IPostConfigureOptions<WaitingRoomOptions>> postConfigures,
        IEnumerable<IValidateOptions<WaitingRoomOptions>> validations)
        : OptionsFactory<WaitingRoomOptions>(setups, postConfigures, validations)
    {
        protected override WaitingRoomOptions CreateInstance(string name) => options;
    }
}
