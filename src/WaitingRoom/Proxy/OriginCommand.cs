using System.Globalization;
using Microsoft.Extensions.Primitives;

namespace WaitingRoom.Proxy;

/// <summary>
/// The commands of one <c>WR-Command</c> response header (values comma-separated, names
/// case-insensitive): <c>release</c>, <c>capacity=N</c> (a whole number from 1), <c>capacity=auto</c>,
/// <c>sold-out</c>. Anything else is ignored: an origin's typo never breaks its response.
/// </summary>
internal readonly record struct OriginCommand(bool Release, int? Capacity, bool Auto, bool SoldOut)
{
    public static OriginCommand Parse(StringValues values)
    {
        var command = default(OriginCommand);
        foreach (var value in values)
        {
            foreach (var part in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (part.Equals("release", StringComparison.OrdinalIgnoreCase))
                {
                    command = command with { Release = true };
                }
                else if (part.Equals("sold-out", StringComparison.OrdinalIgnoreCase))
                {
                    command = command with { SoldOut = true };
                }
                else if (part.StartsWith("capacity=", StringComparison.OrdinalIgnoreCase))
                {
                    var number = part["capacity=".Length..].Trim();
                    if (number.Equals("auto", StringComparison.OrdinalIgnoreCase))
                    {
                        command = command with { Auto = true, Capacity = null };
                    }
                    else if (int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var capacity) && capacity >= 1)
                    {
                        command = command with { Capacity = capacity, Auto = false };
                    }
                }
            }
        }

        return command;
    }
}
