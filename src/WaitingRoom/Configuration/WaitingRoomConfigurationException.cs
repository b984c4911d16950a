namespace WaitingRoom.Configuration;

/// <summary>A WR_* variable holds a value the room cannot run with. The message is one line per bad variable, each naming the variable, the value and what is allowed.</summary>
public sealed class WaitingRoomConfigurationException : Exception
{
    public WaitingRoomConfigurationException(IReadOnlyList<string> errors)
        : base(string.Join(Environment.NewLine, errors)) => Errors = errors;

    public WaitingRoomConfigurationException()
        : this([])
    {
    }

    public WaitingRoomConfigurationException(string message)
        : this([message])
    {
    }

    public WaitingRoomConfigurationException(string message, Exception innerException)
        : base(message, innerException) => Errors = [message];

    public IReadOnlyList<string> Errors { get; }

    /// <summary>
    /// A bad value as it may appear in one of the error lines: control characters (a line break
    /// would split the one-line message) shown as '?', text past <paramref name="maxLength"/> cut with "...".
    /// </summary>
    internal static string Printable(string value, int maxLength)
    {
        var chars = value.Select(c => char.IsControl(c) ? '?' : c).ToArray();
        return chars.Length > maxLength ? string.Concat(new string(chars, 0, maxLength - 3), "...") : new string(chars);
    }

    /// <summary>The value of a variable as an error line shows it: credentials inside a URL hidden, at most 80 characters.</summary>
    internal static string Shown(string value)
    {
        var scheme = value.IndexOf("://", StringComparison.Ordinal);
        var at = scheme < 0 ? -1 : value.IndexOf('@', scheme + 3);
        return Printable(at > 0 ? string.Concat(value.AsSpan(0, scheme + 3), "(hidden)", value.AsSpan(at)) : value, 80);
    }
}
