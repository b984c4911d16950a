using Microsoft.Extensions.Options;
using WaitingRoom.Configuration;

// WaitingRoom: a reverse proxy that admits at most WR_MAX_ACTIVE visitors and queues the rest.
// The content root is the app's own folder, so `dotnet WaitingRoom.dll` finds wwwroot from any directory.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = ConfigurationCommand.HostArguments(args), ContentRootPath = AppContext.BaseDirectory });

// --print-config / --check-config: answer from the configuration and exit, before anything starts.
if (ConfigurationCommand.Run(args, builder.Configuration) is { } exitCode)
{
    return exitCode;
}

try
{
    builder.AddWaitingRoom();
    var app = builder.Build();
    app.UseWaitingRoom();
    await app.RunAsync();
    return 0;
}
catch (OptionsValidationException ex) when (ex.OptionsType == typeof(WaitingRoomOptions))
{
    // A bad value: one line each on stderr, as --check-config prints them, and no stack trace.
    await Console.Error.WriteLineAsync(string.Join(Environment.NewLine, ex.Failures));
    return ConfigurationCommand.InvalidExitCode;
}
