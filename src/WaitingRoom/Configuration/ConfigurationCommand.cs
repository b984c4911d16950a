using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace WaitingRoom.Configuration;

/// <summary>
/// The two command-line flags that read the configuration and exit instead of starting the room:
/// <c>--print-config</c> prints the effective configuration (<see cref="ConfigurationReport"/>),
/// <c>--check-config</c> only says whether it is valid. Neither listens, connects to Redis or
/// creates the cookie key. A bad value gives the same lines on stderr as at start-up, and exit code 2.
/// </summary>
internal static class ConfigurationCommand
{
    public const string PrintFlag = "--print-config";
    public const string CheckFlag = "--check-config";

    /// <summary>The exit code of a configuration with a bad value, as at start-up.</summary>
    public const int InvalidExitCode = 2;

    /// <summary>
    /// The arguments for the host's command-line configuration: all but the two flags, which would
    /// otherwise be read as configuration keys (a bare <c>--print-config</c> takes the next argument as its value).
    /// </summary>
    public static string[] HostArguments(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        return [.. args.Where(a => !IsFlag(a))];
    }

    /// <summary>
    /// Runs a flag of <paramref name="args"/> (against the console unless writers are given):
    /// <c>--print-config</c> wins when both are given (the report is printed only for a valid
    /// configuration, so it checks too).
    /// </summary>
    /// <returns>The exit code, or null when no flag is given and the room should start.</returns>
    public static int? Run(string[] args, IConfiguration configuration, TextWriter? output = null, TextWriter? error = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(configuration);
        (output, error) = (output ?? Console.Out, error ?? Console.Error);
        var print = args.Contains(PrintFlag, StringComparer.Ordinal);
        if (!print && !args.Contains(CheckFlag, StringComparer.Ordinal))
        {
            return null;
        }

        var (options, errors, warnings) = WaitingRoomOptionsReader.Check(configuration);
        if (errors.Count > 0)
        {
            foreach (var line in errors)
            {
                error.WriteLine(line);
            }

            return InvalidExitCode;
        }

        if (print)
        {
            output.Write(ConfigurationReport.Render(options, configuration, warnings));
            return 0;
        }

        var rooms = options.Rooms.Count;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"configuration is valid ({rooms} {(rooms == 1 ? "room" : "rooms")})"));
        foreach (var warning in warnings)
        {
            output.WriteLine(ConfigurationReport.WarningLine(warning));
        }

        return 0;
    }

    private static bool IsFlag(string argument) => argument is PrintFlag or CheckFlag;
}
