using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace WaitingRoom.Tests.Security;

/// <summary>
/// HTTP/1.1 over a bare TCP socket, for requests no HTTP client library would send (odd request
/// lines, broken headers, trickled bytes). Requests carry <c>Connection: close</c> so the answer
/// ends where the connection does.
/// </summary>
internal static class RawHttp
{
    /// <summary>Sends <paramref name="request"/> and reads the answer until the server closes or <paramref name="timeout"/> passes.</summary>
    public static async Task<RawResponse> SendAsync(Uri address, byte[] request, TimeSpan timeout)
    {
        using var client = new TcpClient();
        using var cancel = new CancellationTokenSource(timeout);
        await client.ConnectAsync(IPAddress.Loopback, address.Port, cancel.Token);
        var stream = client.GetStream();

        // Write and read at once: the server may answer (and close) before it has read everything sent.
        var writing = Task.Run(async () =>
        {
            try
            {
                await stream.WriteAsync(request, cancel.Token);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
            {
                // The server stopped reading: what it answered is read below.
            }
        });
        var (bytes, reset) = await ReadToEndAsync(stream, cancel.Token);
        await writing;
        return RawResponse.Parse(bytes, reset, timedOut: cancel.IsCancellationRequested);
    }

    /// <summary>Sends a request built from text (ASCII/Latin-1 bytes as written, nothing escaped).</summary>
    public static Task<RawResponse> SendAsync(Uri address, string request, TimeSpan timeout) =>
        SendAsync(address, Encoding.Latin1.GetBytes(request), timeout);

    /// <summary>Reads until end of stream; true in the second item when the connection was reset.</summary>
    public static async Task<(byte[] Bytes, bool Reset)> ReadToEndAsync(Stream stream, CancellationToken cancellationToken)
    {
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
            {
                received.Write(buffer, 0, read);
            }

            return (received.ToArray(), false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            return (received.ToArray(), ex is IOException);
        }
    }

    /// <summary>
    /// Opens a connection, sends <paramref name="head"/> and then <paramref name="trickle"/> one
    /// byte every <paramref name="every"/>, and measures how long until the server closes the
    /// connection (or <paramref name="giveUp"/> passes). Returns that time and what the server answered.
    /// </summary>
    public static async Task<(TimeSpan ClosedAfter, RawResponse Response)> TrickleAsync(Uri address, string head, string trickle, TimeSpan every, TimeSpan giveUp)
    {
        using var client = new TcpClient();
        using var cancel = new CancellationTokenSource(giveUp);
        await client.ConnectAsync(IPAddress.Loopback, address.Port, cancel.Token);
        var stream = client.GetStream();
        var clock = Stopwatch.StartNew();
        var reading = ReadToEndAsync(stream, cancel.Token);
        try
        {
            await stream.WriteAsync(Encoding.Latin1.GetBytes(head), cancel.Token);
            var i = 0;
            while (!reading.IsCompleted && !cancel.IsCancellationRequested)
            {
                await stream.WriteAsync(Encoding.Latin1.GetBytes(trickle[i % trickle.Length].ToString()), cancel.Token);
                i++;
                await Task.WhenAny(reading, Task.Delay(every, cancel.Token));
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The server closed the connection while we were still sending: that is the point.
        }

        var (bytes, reset) = await reading;
        var closedAfter = clock.Elapsed;
        return (closedAfter, RawResponse.Parse(bytes, reset, timedOut: cancel.IsCancellationRequested));
    }
}

/// <summary>What came back on a raw connection: the status (0 when none), the headers, the body, and how the connection ended.</summary>
internal sealed record RawResponse(int Status, IReadOnlyList<KeyValuePair<string, string>> Headers, string Body, bool Reset, bool TimedOut)
{
    public string? Header(string name) => Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    public IEnumerable<string> All(string name) => Headers.Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value);

    public static RawResponse Parse(byte[] bytes, bool reset, bool timedOut)
    {
        var text = Encoding.UTF8.GetString(bytes);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (!text.StartsWith("HTTP/1.", StringComparison.Ordinal) || end < 0)
        {
            return new RawResponse(0, [], text, reset, timedOut);
        }

        var lines = text[..end].Split("\r\n");
        var parts = lines[0].Split(' ', 3);
        var status = parts.Length > 1 && int.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out var code) ? code : 0;
        var headers = lines.Skip(1)
            .Where(l => l.Contains(':', StringComparison.Ordinal))
            .Select(l => new KeyValuePair<string, string>(l[..l.IndexOf(':', StringComparison.Ordinal)].Trim(), l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim()))
            .ToList();
        return new RawResponse(status, headers, text[(end + 4)..], reset, timedOut);
    }

    public override string ToString() => $"{Status} (reset={Reset}, timedOut={TimedOut}) {string.Join(", ", Headers.Select(h => h.Key + ": " + (h.Value.Length > 60 ? h.Value[..60] : h.Value)))} body[{Body.Length}]";
}
