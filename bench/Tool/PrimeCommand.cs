using System.Net.Http.Headers;
using System.Text.Json;

namespace WaitingRoom.Bench;

/// <summary>
/// <c>prime</c>: each waiter of --in (wr_token values, one a line) polls <c>/_wr/status</c> of the
/// proxy at --url once, as its queue page would on arrival, and keeps the cookies the answer sets:
/// the place cookie (<c>wr_token_place</c>) the instances answer far-back waiters from. Writes one
/// line per waiter for bench/wrk.lua, <c>PATH&lt;tab&gt;Cookie header</c>, so wrk's polls are those
/// of waiters who keep every cookie they are given (appended with --append).
/// </summary>
/// <remarks>Prints {"waiters","withPlace","states":{...}}; fails when a poll does not answer 200.</remarks>
internal static class PrimeCommand
{
    public static async Task<int> RunAsync(Arguments args)
    {
        var url = args.Text("url").TrimEnd('/');
        var room = args.OptionalText("room");
        var path = "/_wr/status" + (room is null ? "" : "?room=" + Uri.EscapeDataString(room));
        var tokens = (await File.ReadAllLinesAsync(args.Text("in"))).Where(line => line.Length > 0).ToArray();
        using var client = new HttpClient(new SocketsHttpHandler { UseCookies = false, MaxConnectionsPerServer = 16 });
        var lines = new string[tokens.Length];
        var states = new Dictionary<string, int>(StringComparer.Ordinal);
        var withPlace = 0;
        var failed = 0;

        await Parallel.ForEachAsync(Enumerable.Range(0, tokens.Length), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, cancellationToken) =>
        {
            var cookies = new Dictionary<string, string>(StringComparer.Ordinal) { ["wr_token"] = tokens[i] };
            using var request = new HttpRequestMessage(HttpMethod.Get, url + path);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            request.Headers.Add("Cookie", "wr_token=" + tokens[i]);
            using var response = await client.SendAsync(request, cancellationToken);
            var state = "http-" + (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
                state = body.RootElement.TryGetProperty("state", out var value) ? value.GetString() ?? "?" : "?";
            }
            else
            {
                Interlocked.Increment(ref failed);
            }

            // Every cookie set (name=value before the first ';'), as a browser would keep them.
            foreach (var header in response.Headers.TryGetValues("Set-Cookie", out var values) ? values : [])
            {
                var pair = header.Split(';', 2)[0];
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals > 0)
                {
                    cookies[pair[..equals]] = pair[(equals + 1)..];
                }
            }

            lock (states)
            {
                states[state] = states.GetValueOrDefault(state) + 1;
                withPlace += cookies.Keys.Any(name => name.EndsWith("_place", StringComparison.Ordinal)) ? 1 : 0;
            }

            lines[i] = path + "\t" + string.Join("; ", cookies.Select(c => c.Key + "=" + c.Value));
        });

        var output = args.Text("out");
        if (args.Flag("append"))
        {
            await File.AppendAllLinesAsync(output, lines);
        }
        else
        {
            await File.WriteAllLinesAsync(output, lines);
        }

        Console.WriteLine(JsonSerializer.Serialize(new { waiters = tokens.Length, withPlace, states }));
        return failed == 0 ? 0 : 1;
    }
}
