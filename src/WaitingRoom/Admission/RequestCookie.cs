using System.Buffers;
using Microsoft.AspNetCore.Http;

namespace WaitingRoom.Admission;

/// <summary>
/// One cookie of a request read straight from its Cookie header, where that surely gives what
/// <see cref="HttpRequest.Cookies"/> gives: on its first read the framework parses every cookie a
/// browser sends (a dictionary, and a name and a value string each), for the one or two the room reads.
/// Anything it might read differently (two Cookie headers, a percent sign, a quoted value, the name
/// twice or not at the start of a pair) is left to the framework.
/// </summary>
internal static class RequestCookie
{
    /// <summary>What the header alone tells of a cookie.</summary>
    public enum Lookup
    {
        /// <summary>No such cookie.</summary>
        Absent,

        /// <summary>The cookie, its value in the header as the framework would give it.</summary>
        Found,

        /// <summary>The framework's parse must tell.</summary>
        Ask,
    }

    // The characters of the room's own cookie values (base64url and dots): nothing the framework unescapes or unquotes.
    private static readonly SearchValues<char> s_plain = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.");

    /// <summary>
    /// The value of the cookie <paramref name="name"/> as <see cref="HttpRequest.Cookies"/> gives it (empty when
    /// there is none): from the header where <see cref="Find"/> can tell, else from the framework's parse.
    /// </summary>
    public static ReadOnlySpan<char> Value(HttpRequest request, string name, string pair) =>
        Find(request, name, pair, out var value) switch
        {
            Lookup.Found => value,
            Lookup.Absent => default,
            _ => request.Cookies[name],
        };

    /// <summary>The cookie <paramref name="name"/> of <paramref name="request"/>; <paramref name="pair"/> is the name followed by '='.</summary>
    public static Lookup Find(HttpRequest request, string name, string pair, out ReadOnlySpan<char> value)
    {
        value = default;
        var headers = request.Headers.Cookie;
        if (headers.Count == 0)
        {
            return Lookup.Absent;
        }

        if (headers.Count > 1 || headers[0] is not { } text)
        {
            return Lookup.Ask;
        }

        var header = text.AsSpan();
        var at = header.IndexOf(pair, StringComparison.OrdinalIgnoreCase);
        if (at < 0)
        {
            // Not even the name (in any case): the framework finds nothing either, unless it unescapes it.
            return header.IndexOf(name, StringComparison.OrdinalIgnoreCase) < 0 && !header.Contains('%') ? Lookup.Absent : Lookup.Ask;
        }

        var rest = header[(at + pair.Length)..];
        var end = rest.IndexOf(';');
        var found = end < 0 ? rest : rest[..end];
        var before = header[..at].TrimEnd(' ');
        if ((before.Length > 0 && before[^1] != ';') || rest.Contains(pair, StringComparison.OrdinalIgnoreCase) || header.Contains('%')
            || found.Length == 0 || found.ContainsAnyExcept(s_plain))
        {
            return Lookup.Ask;
        }

        value = found;
        return Lookup.Found;
    }
}
