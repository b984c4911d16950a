using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using WaitingRoom.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace WaitingRoom.Tests.Security;

/// <summary>
/// Bad input never hurts the proxy. Every test sends seeded, bounded, reproducible garbage over
/// raw loopback connections to the published app (see <see cref="FuzzTarget"/>) and checks that
/// each request gets a clear answer (never a 5xx of the room's own making), that nothing leaks or
/// redirects off-site, and that the app writes no error to its log.
/// </summary>
[Collection(RequestFuzzGroup.Name)]
public sealed class RequestFuzzTests(FuzzTarget target, ITestOutputHelper output)
{
    /// <summary>The seed of every generator: a failure names its case, and the same seed replays it.</summary>
    private const int Seed = 20261121;
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Cookie_GarbageTokens_NewVisitorNeverServerError()
    {
        // Arrange
        var random = new Random(Seed);
        var valid = await TokenOfAsync(target.Open.Address);
        var foreign = await TokenOfAsync(target.Waiting.Address);
        var cases = new List<string>
        {
            "wr_token=", "wr_token", "wr_token=;", "wr_token=\"\"", "wr_token=" + new string('A', 7000),
            "wr_token=" + valid[..^1], "wr_token=" + valid + "A", "wr_token=" + Tamper(valid, 3), "wr_token=" + Tamper(valid, 30),
            "wr_token=" + foreign, "wr_token=" + Forge("not-the-secret-at-all-0123456789"), "wr_token=" + valid.Replace('.', '_'),
            "wr_token=\"" + Tamper(valid, 40) + "\"", "wr_token=" + valid.ToUpperInvariant(), "wr_token=ü€漢字", "wr_token===",
            ";;;wr_token=x;;;", "wr_token=x, wr_token=y", "a=1; wr_token=%00%01; b=2", "wr_token=" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(33)),
            string.Join("; ", Enumerable.Range(0, 200).Select(i => "wr_token=" + i)),
        };
        for (var i = 0; i < 150; i++)
        {
            cases.Add("wr_token=" + RandomText(random, random.Next(0, 300)));
        }

        for (var i = 0; i < 50; i++)
        {
            // A well-formed shape with a wrong MAC, or base64 noise of exactly the right length.
            var id = Base64Url(RandomNumberGenerator.GetBytes(16));
            cases.Add("wr_token=" + id + "." + (i % 2 == 0 ? Base64Url(RandomNumberGenerator.GetBytes(16)) : RandomText(random, 22)));
        }

        var statuses = new Dictionary<int, int>();

        // Act and assert
        for (var i = 0; i < cases.Count; i++)
        {
            var response = await SendAsync(target.Open.Address, "GET", $"/cookie/{i}", [("Cookie", cases[i])]);
            Count(statuses, response.Status);
            AssertClearAnswer(response, $"cookie case {i} (seed {Seed}): {Shorten(cases[i])}");
            if (response.Status == 200)
            {
                // The request went through as a new visitor: it was given a fresh, valid cookie.
                var issued = response.All("Set-Cookie").FirstOrDefault(c => c.StartsWith("wr_token=", StringComparison.Ordinal));
                Assert.True(issued is not null, $"cookie case {i}: no new wr_token issued for {Shorten(cases[i])}");
                Assert.Equal(VisitorTokenLength, issued![..issued.IndexOf(';', StringComparison.Ordinal)].Length - "wr_token=".Length);
            }
        }

        output.WriteLine($"{cases.Count} garbage cookies: " + string.Join(", ", statuses.Select(s => $"{s.Key}×{s.Value}")));

        // A token forged with the right secret but for a visitor the store never saw is an ordinary visitor.
        var unknown = await SendAsync(target.Open.Address, "GET", "/cookie/unknown", [("Cookie", "wr_token=" + Forge(FuzzTarget.Secret))]);
        Assert.Equal(200, unknown.Status);
        AssertNoErrorsLogged(target.Open);
    }

    [Fact]
    public async Task Headers_PastKestrelLimits_Answered431Or414AndMemoryBounded()
    {
        // Arrange: sizes just under each limit pass, sizes past it are refused by Kestrel.
        var random = new Random(Seed);
        var address = target.Open.Address;

        // Act and assert: under the limits.
        Assert.Equal(200, (await SendAsync(address, "GET", "/h/under", [("X-Big", new string('a', 30 * 1024))])).Status);
        Assert.Equal(200, (await SendAsync(address, "GET", "/h/count", Headers(95))).Status);
        Assert.Equal(200, (await SendAsync(address, "GET", "/" + new string('p', 8000), [])).Status);

        // Past them, at seeded sizes.
        for (var i = 0; i < 10; i++)
        {
            var total = await SendAsync(address, "GET", "/h/total", [("X-Big", new string('a', random.Next(33 * 1024, 200 * 1024)))]);
            Assert.True(total.Status == 431, $"total header size case {i}: {total}");
            var spread = await SendAsync(address, "GET", "/h/spread", [.. Enumerable.Range(0, 40).Select(n => ($"X-Part-{n}", new string('b', 1000)))]);
            Assert.True(spread.Status == 431, $"many medium headers case {i}: {spread}");
            var count = await SendAsync(address, "GET", "/h/many", Headers(random.Next(101, 1000)));
            Assert.True(count.Status == 431, $"header count case {i}: {count}");
            var line = await SendAsync(address, "GET", "/" + new string('u', random.Next(8200, 64 * 1024)), []);
            Assert.True(line.Status == 414, $"request line case {i}: {line}");
        }

        // Memory: 60 requests of 2 MiB of headers or URL; Kestrel stops reading at its limit.
        var before = target.Open.WorkingSet();
        var outcomes = new Dictionary<int, int>();
        for (var i = 0; i < 60; i++)
        {
            var huge = new string('x', 2 * 1024 * 1024);
            var response = i % 2 == 0
                ? await SendAsync(address, "GET", "/huge", [("X-Huge", huge)])
                : await SendAsync(address, "GET", "/" + huge, []);
            Count(outcomes, response.Status);
            Assert.True(response.Status is 0 or 414 or 431 or 400, $"huge case {i}: {response}");
            Assert.True(response.Status != 0 || response.Reset || response.Body.Length == 0, $"huge case {i}: {response}");
        }

        var after = target.Open.WorkingSet();
        output.WriteLine($"120 MiB sent as 60 huge requests: {string.Join(", ", outcomes.Select(s => $"{s.Key}×{s.Value}"))} (0 = connection reset while sending); " +
            $"working set {before / 1048576} MiB -> {after / 1048576} MiB");
        Assert.True(after - before < 100L * 1024 * 1024, $"working set grew from {before} to {after}");
        Assert.Equal(200, (await SendAsync(address, "GET", "/h/after", [])).Status);
        Assert.DoesNotContain(target.OpenBackend.Requests, r => r.Target.StartsWith("/h/total", StringComparison.Ordinal) || r.Target.StartsWith("/h/many", StringComparison.Ordinal) || r.Target.StartsWith("/huge", StringComparison.Ordinal));
        AssertNoErrorsLogged(target.Open);
    }

    [Fact]
    public async Task Methods_Odd_ClearAnswerNeverServerError()
    {
        // Arrange
        string[] requests =
        [
            "PROPFIND /m HTTP/1.1", "MKCOL /m HTTP/1.1", "X-CUSTOM_1 /m HTTP/1.1", "TRACE /m HTTP/1.1", "CONNECT 127.0.0.1:80 HTTP/1.1",
            "CONNECT /m HTTP/1.1", "OPTIONS * HTTP/1.1", "OPTIONS /m HTTP/1.1", "get /m HTTP/1.1", "GeT /m HTTP/1.1", "PATCH /m HTTP/1.1",
            "DELETE /m HTTP/1.1", "HEAD /m HTTP/1.1", new string('M', 9000) + " /m HTTP/1.1", new string('L', 300) + " /m HTTP/1.1",
            "G\u00e9T /m HTTP/1.1", "GET /m HTTP/1.0", "GET /m HTTP/2.0", "GET /m HTTP/9.9", "GET /m", "GET  /m HTTP/1.1", "/m HTTP/1.1",
            "GET /m HTTP/1.1 extra",
        ];
        var answers = new List<string>();

        // Act and assert: on the open room and on a room where everyone waits.
        foreach (var app in new[] { target.Open, target.Waiting })
        {
            foreach (var line in requests)
            {
                var response = await RawHttp.SendAsync(app.Address, line + "\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", s_timeout);
                answers.Add($"{Shorten(line)} -> {response.Status}");
                Assert.False(response.TimedOut, $"{Shorten(line)}: no answer");
                AssertClearAnswer(response, Shorten(line), queuedMayBe503: app == target.Waiting);
            }
        }

        output.WriteLine(string.Join("\n", answers));
        AssertNoErrorsLogged(target.Open);
        AssertNoErrorsLogged(target.Waiting);
    }

    [Fact]
    public async Task Paths_Tricks_NoOpenRedirectNoBypassNoServerError()
    {
        // Arrange: targets aimed at the queue page's return path, the bypass rule and the admin API.
        string[] pieces =
        [
            "/_wr/../", "/_wr/%2e%2e/", "/_wr/%2E%2E/", "%2F", "%2f", "//", "\\", "%5C", "/./", "%00", "%01", "%0d%0a", "%C0%AE%C0%AE/", "%c0%af",
            "//evil.example", "/\\evil.example", "https:evil.example", "http://evil.example", "/%2F%2Fevil.example", "/%5C%5Cevil.example",
            "/static/../", "/static/%2e%2e/", "/static%2F..%2F", "/static\\..\\", "/STATIC/..%2F", "/_wr/admin/", "/_WR/ADMIN/", "/_wr%2Fadmin/",
            "admin", "private", "?next=//evil.example", "#frag", "%", "%zz", "~", "ü", "%E2%80%AE", " ",
        ];
        var random = new Random(Seed);
        var targets = new List<string>
        {
            "//evil.example", "//evil.example/path", "/\\evil.example", "/%5Cevil.example", "/%2F%2Fevil.example", "https:evil.example",
            "http://evil.example/", "/_wr/../private", "/_wr/%2e%2e/private", "/static/../private", "/static/%2e%2e/private",
            "/static%2F..%2Fprivate", "/static%2f..%2fprivate", "/static\\..\\private", "/static/..%5Cprivate", "//static/../private",
            "/_wr/admin/rooms", "/_wr/./admin/rooms", "/_wr//admin/rooms", "//_wr/admin/rooms", "/_WR/Admin/rooms", "/_wr%2Fadmin%2Frooms",
            "/x/../_wr/admin/rooms", "/_wr/%61dmin/rooms", "/_wr/admin/rooms%00", "/_wr/admin/rooms/", "/_wr/admin/rooms/default/../../rooms",
            "/%00", "/%C0%AE%C0%AE/private", "/\u0001", "/a\tb", "/" + "\u00fc", "/%E2%80%AEevil",
        };
        for (var i = 0; i < 150; i++)
        {
            var built = new StringBuilder(random.Next(2) == 0 ? "/" : "");
            for (var n = random.Next(1, 5); n > 0; n--)
            {
                built.Append(pieces[random.Next(pieces.Length)]);
            }

            targets.Add(built.ToString());
        }

        var statuses = new Dictionary<int, int>();

        // Act and assert
        foreach (var app in new[] { target.Open, target.Waiting })
        {
            for (var i = 0; i < targets.Count; i++)
            {
                var where = $"path case {i} (seed {Seed}) {Shorten(targets[i])} on {(app == target.Open ? "open" : "waiting")} room";
                foreach (var accept in new[] { "text/html", "application/json" })
                {
                    var response = await SendAsync(app.Address, "GET", targets[i], [("Accept", accept)]);
                    Count(statuses, response.Status);
                    AssertClearAnswer(response, where);
                    AssertStaysOnSite(app.Address, response, where);
                    if (response.Status is >= 200 and < 300)
                    {
                        Assert.False(response.Body.Contains("\"maxActive\"", StringComparison.Ordinal), $"{where}: the admin API answered without a token: {response}");
                    }
                }

                var post = await SendAsync(app.Address, "POST", targets[i].Replace("rooms", "rooms/default/drain", StringComparison.Ordinal), [("Content-Length", "0")]);
                AssertClearAnswer(post, where, queuedMayBe503: app == target.Waiting);
                Assert.False(post.Status is >= 200 and < 300 && targets[i].Contains("admin", StringComparison.OrdinalIgnoreCase) && post.Body.Contains("drain", StringComparison.Ordinal), $"{where}: {post}");
            }
        }

        output.WriteLine($"{targets.Count * 2 * 3} requests: " + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}")));

        // Everyone waits in the waiting room: only requests under the bypass prefix (a real
        // /static path, no dot segment, encoded slash or backslash) may have reached its backend.
        foreach (var received in target.WaitingBackend.Requests)
        {
            var path = Uri.UnescapeDataString(received.Target.Split('?')[0]);
            Assert.True(
                path.StartsWith("/static", StringComparison.OrdinalIgnoreCase) && !path.Contains("..", StringComparison.Ordinal) &&
                !path.Contains("%2F", StringComparison.OrdinalIgnoreCase) && !path.Contains('\\', StringComparison.Ordinal) && !path.Contains("%5C", StringComparison.OrdinalIgnoreCase),
                $"the waiting room's backend received {received.Method} {received.Target}: a path trick skipped the queue");
        }

        // The admin API itself still answers its token.
        var admin = await SendAsync(target.Open.Address, "GET", "/_wr/admin/rooms", [("Authorization", "Bearer " + FuzzTarget.AdminToken)]);
        Assert.Equal(200, admin.Status);
        AssertNoErrorsLogged(target.Open);
        AssertNoErrorsLogged(target.Waiting);
    }

    [Fact]
    public async Task Accept_Invalid_AnsweredWithHtmlOrJsonNeverServerError()
    {
        // Arrange
        var random = new Random(Seed);
        var accepts = new List<string>
        {
            "garbage", "%%%", "*/", "/", ";;;", "application/json;q=5", "application/json;q=-1", "text/html;q=abc", "application/json;q=NaN",
            "application/json;q=1e308", "application/json;q=0.0000001, text/html;q=0", "*/*;q=", "application/*", "*/*", "text/*;q=0.5, application/json;q=0.5",
            "application/json, text/html;q=2", "application/problem+json", "application/json;charset=\"", new string('a', 20000),
            string.Join(",", Enumerable.Range(0, 2000).Select(i => "application/x" + i + ";q=0." + (i % 10))),
            "ü/€", "application/json\u0001",
        };
        for (var i = 0; i < 60; i++)
        {
            accepts.Add(RandomText(random, random.Next(1, 200)));
        }

        // Act and assert: the queue page (everyone waits) and the status endpoint.
        foreach (var path in new[] { "/page", "/_wr/status" })
        {
            for (var i = 0; i < accepts.Count; i++)
            {
                var response = await SendAsync(target.Waiting.Address, "GET", path, [("Accept", accepts[i])]);
                var where = $"Accept case {i} (seed {Seed}) on {path}: {Shorten(accepts[i])}";
                AssertClearAnswer(response, where);
                if (response.Status is not (400 or 431))
                {
                    Assert.Equal(200, response.Status);
                    var type = response.Header("Content-Type") ?? "";
                    Assert.True(type.StartsWith("text/html", StringComparison.Ordinal) || type.StartsWith("application/json", StringComparison.Ordinal), $"{where}: {response}");
                }
            }
        }

        AssertNoErrorsLogged(target.Waiting);
    }

    [Fact]
    public async Task SlowHeaders_TrickledPastRequestHeadersTimeout_ClosedWhileOthersServed()
    {
        // Arrange: 20 clients trickle one header byte every 250 ms, forever.
        var address = target.Open.Address;
        var slow = Enumerable.Range(0, 20).Select(i => RawHttp.TrickleAsync(address, $"GET /slowloris/{i} HTTP/1.1\r\nHost: 127.0.0.1\r\n", "X-Slow: abcdefghij\r\n", TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(30))).ToList();

        // Act: meanwhile an ordinary client keeps asking.
        var others = new List<TimeSpan>();
        using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };
        while (!slow.TrueForAll(t => t.IsCompleted))
        {
            var clock = Stopwatch.StartNew();
            using var response = await client.GetAsync(new Uri("/_wr/health", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            others.Add(clock.Elapsed);
            await Task.WhenAny(Task.WhenAll(slow), Task.Delay(100));
        }

        var results = await Task.WhenAll(slow);

        // Assert: every slow client was cut at the headers timeout (2 s here; Kestrel checks once a second).
        var closed = results.Select(r => r.ClosedAfter.TotalSeconds).ToList();
        output.WriteLine($"slow header clients closed after {closed.Min():0.00}–{closed.Max():0.00} s (timeout {FuzzTarget.HeadersTimeout.TotalSeconds} s), answers {string.Join(",", results.Select(r => r.Response.Status).Distinct())}; " +
            $"{others.Count} other requests meanwhile, slowest {others.Max().TotalMilliseconds:0} ms");
        Assert.All(results, r => Assert.False(r.Response.TimedOut, "a slow client was never cut off"));
        Assert.All(closed, s => Assert.InRange(s, FuzzTarget.HeadersTimeout.TotalSeconds - 0.1, FuzzTarget.HeadersTimeout.TotalSeconds + 5));
        Assert.All(results, r => Assert.True(r.Response.Status is 0 or 408, r.Response.ToString()));
        Assert.True(others.Max() < TimeSpan.FromSeconds(2), $"an ordinary request took {others.Max()} while slow clients were connected");
        Assert.DoesNotContain(target.OpenBackend.Requests, r => r.Target.StartsWith("/slowloris", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SlowBody_BelowMinimumDataRate_ConnectionClosed()
    {
        // Arrange: an admitted visitor trickles a 100 kB body at 4 bytes/s (the minimum is 240 bytes/s after a 2 s grace period here).
        var address = target.Open.Address;
        var token = await TokenOfAsync(address);
        var head = $"POST /slowbody HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: wr_token={token}\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n";

        // Act
        var (closedAfter, response) = await RawHttp.TrickleAsync(address, head, "0123456789", TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(40));
        using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(5) };
        using var other = await client.GetAsync(new Uri("/_wr/health", UriKind.Relative));

        // Assert
        output.WriteLine($"slow body closed after {closedAfter.TotalSeconds:0.00} s with {response}");
        Assert.False(response.TimedOut, "the slow body was never cut off");
        Assert.InRange(closedAfter.TotalSeconds, FuzzTarget.BodyGracePeriod.TotalSeconds - 0.1, FuzzTarget.BodyGracePeriod.TotalSeconds + 6);
        Assert.True(response.Status is 0 or 408 or 400, response.ToString());
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.DoesNotContain(target.OpenBackend.Requests, r => r.Target == "/slowbody" && r.BodyLength == 100000);
    }

    [Fact]
    public async Task Cookie_VisitorTokenInAnyShape_NeverReachesBackendOtherCookiesDo()
    {
        // Arrange: a real visitor's token, sent in every shape a client or a broken proxy might use.
        var token = await TokenOfAsync(target.Open.Address);
        var shapes = new (string Name, (string, string)[] Headers, string[] Kept)[]
        {
            ("plain", [("Cookie", $"wr_token={token}")], []),
            ("between others", [("Cookie", $"a=1; wr_token={token}; b=2")], ["a=1", "b=2"]),
            ("no spaces", [("Cookie", $"a=1;wr_token={token};b=2")], ["a=1", "b=2"]),
            ("spaces around", [("Cookie", $"a=1 ;  wr_token = {token} ; b=2")], ["a=1", "b=2"]),
            ("twice", [("Cookie", $"wr_token={token}; wr_token={token}")], []),
            ("two headers", [("Cookie", $"wr_token={token}"), ("Cookie", "a=1")], ["a=1"]),
            ("two headers, second", [("Cookie", "a=1"), ("Cookie", $"b=2; wr_token={token}")], ["a=1", "b=2"]),
            ("other case", [("Cookie", $"WR_TOKEN={token}; a=1")], ["a=1"]),
            ("mixed case", [("Cookie", $"Wr_Token={token}")], []),
            ("quoted", [("Cookie", $"wr_token=\"{token}\"; a=1")], ["a=1"]),
            ("empty pairs", [("Cookie", $";; wr_token={token};;a=1;")], ["a=1"]),
            ("comma", [("Cookie", $"a=1, wr_token={token}")], ["a=1"]),
            ("inside another value", [("Cookie", $"a=wr_token={token}")], [$"a=wr_token={token}"]),
            ("similar names", [("Cookie", $"xwr_token=1; wr_token2=2; wr_token={token}")], ["xwr_token=1", "wr_token2=2"]),
        };

        foreach (var (name, headers, kept) in shapes)
        {
            // Act
            var before = target.OpenBackend.Requests.Count;
            var path = "/strip/" + name.Replace(' ', '-').Replace(',', '-');
            var response = await SendAsync(target.Open.Address, "GET", path, headers);

            // Assert
            Assert.True(response.Status == 200, $"{name}: {response}");
            var received = Assert.Single(target.OpenBackend.Requests.Skip(before), r => r.Target == path);
            var names = received.CookieNames.ToList();
            Assert.DoesNotContain(names, n => string.Equals(n, "wr_token", StringComparison.OrdinalIgnoreCase));
            var pairs = received.CookieHeaders.SelectMany(h => h.Split(';')).Select(p => p.Trim()).Where(p => p.Length > 0).ToList();
            Assert.Equal(kept, pairs);
            output.WriteLine($"{name}: backend got [{string.Join(" | ", received.CookieHeaders)}]");
        }

        AssertNoErrorsLogged(target.Open);
    }

    private const int VisitorTokenLength = 45;

    private static async Task<RawResponse> SendAsync(Uri address, string method, string path, IEnumerable<(string Name, string Value)> headers)
    {
        var request = new StringBuilder($"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{address.Port}\r\n");
        foreach (var (name, value) in headers)
        {
            request.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        request.Append("Connection: close\r\n\r\n");
        return await RawHttp.SendAsync(address, Encoding.UTF8.GetBytes(request.ToString()), s_timeout);
    }

    private static async Task<string> TokenOfAsync(Uri address)
    {
        var response = await SendAsync(address, "GET", "/_wr-fuzz-first-visit", []);
        var cookie = response.All("Set-Cookie").First(c => c.StartsWith("wr_token=", StringComparison.Ordinal));
        return cookie["wr_token=".Length..cookie.IndexOf(';', StringComparison.Ordinal)];
    }

    /// <summary>A well-formed token for a random id, signed with <paramref name="secret"/> the way the room signs.</summary>
    private static string Forge(string secret)
    {
        var id = Base64Url(RandomNumberGenerator.GetBytes(16));
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(id));
        return id + "." + Base64Url(mac[..16]);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string Tamper(string token, int index) =>
        string.Concat(token.AsSpan(0, index), token[index] == 'A' ? "B" : "A", token.AsSpan(index + 1));

    /// <summary>Printable ASCII and a little Latin-1 and punctuation a cookie header may carry.</summary>
    private static string RandomText(Random random, int length)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=;,\"'\\/ !#$%&()*+:<>?@[]^`{|}~\u00e9\u00fc";
        return new string([.. Enumerable.Range(0, length).Select(_ => alphabet[random.Next(alphabet.Length)])]);
    }

    private static (string, string)[] Headers(int count) => [.. Enumerable.Range(0, count).Select(i => ($"X-H{i}", "v"))];

    private static void Count(Dictionary<int, int> counts, int status) => counts[status] = counts.GetValueOrDefault(status) + 1;

    private static string Shorten(string text) => text.Length > 80 ? text[..77] + "..." : text;

    /// <summary>A clear answer: a status line came back, and it is not a server error (a queued non-GET's 503 aside, where allowed).</summary>
    private static void AssertClearAnswer(RawResponse response, string where, bool queuedMayBe503 = false)
    {
        Assert.True(response.Status is >= 100 and < 600, $"{where}: no answer ({response})");
        // 505 is Kestrel's exact answer to a version it does not speak (HTTP/2.0 on an HTTP/1 connection), not a fault.
        var allowed = response.Status < 500 || response.Status == 505 || (queuedMayBe503 && response.Status == 503 && response.Header("Retry-After") is not null);
        Assert.True(allowed, $"{where}: {response}");
    }

    /// <summary>A Location header and the queue page's return target never lead to another host.</summary>
    private static void AssertStaysOnSite(Uri address, RawResponse response, string where)
    {
        foreach (var location in response.All("Location"))
        {
            Assert.True(Uri.TryCreate(address, location, out var resolved) && resolved.Host == address.Host && resolved.Port == address.Port, $"{where}: Location {location}");
        }

        var marker = "data-target=\"";
        var at = response.Body.IndexOf(marker, StringComparison.Ordinal);
        if (at >= 0)
        {
            var end = response.Body.IndexOf('"', at + marker.Length);
            var targetUrl = WebUtility.HtmlDecode(response.Body[(at + marker.Length)..end]);
            Assert.True(Uri.TryCreate(address, targetUrl, out var resolved) && resolved.Host == address.Host && resolved.Port == address.Port, $"{where}: queue page target {targetUrl}");
            Assert.StartsWith("/", targetUrl, StringComparison.Ordinal);
            Assert.False(targetUrl.StartsWith("//", StringComparison.Ordinal) || targetUrl.StartsWith("/\\", StringComparison.Ordinal), $"{where}: queue page target {targetUrl}");
        }
    }

    /// <summary>The app logged no error and answered no 5xx of its own (a request line of the log with a 5xx status).</summary>
    private static void AssertNoErrorsLogged(AppProcess app)
    {
        var lines = app.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.DoesNotContain(lines, l => l.Contains("\"Level\":\"Error\"", StringComparison.Ordinal) || l.Contains("\"Level\":\"Fatal\"", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("\"StatusCode\":500", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("Unhandled exception", StringComparison.Ordinal));
    }
}
