using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.EndToEnd;

/// <summary>
/// A queue longer than the near zone, through three instances behind a round-robin, in virtual time: waiters far
/// from the head are answered by whichever instance they reach (their place cookie and its snapshot), near the
/// head by the store. Every invariant holds across the hand-over: admitted in arrival order, no position ever
/// larger than the one shown before, capacity exact, nobody who polls dropped, the silent dropped before the head.
/// </summary>
public sealed partial class LongQueueTests
{
    private const int Capacity = 50;
    private const int Waiters = 1_200; // the near zone holds at least 1,000: the last 200 start far
    private const int TrackEvery = 4;

    [Fact]
    public async Task ThreeInstances_FarWaitersPollAnyInstance_InOrderNeverMovedBackSilentDropped()
    {
        // Arrange: every slot taken, then the line (round-robin over the instances).
        var clock = RoomUnderTest.NewClock();
        await using var room = await RoomUnderTest.StartAsync(Capacity, s =>
        {
            s["WR_ACTIVE_TTL"] = "20";
            s["WR_QUEUE_TTL"] = "60";
            s["WR_MAX_NEW_PER_IP_PER_MINUTE"] = "0";
        }, clock);
        await using var second = await room.StartInstanceAsync();
        await using var third = await room.StartInstanceAsync();
        ProxyInstance[] instances = [room.Proxy, second, third];
        var clients = instances.Select(i => i.Anonymous()).ToArray();
        var next = 0;
        HttpClient Next() => clients[next++ % clients.Length];

        for (var i = 0; i < Capacity; i++)
        {
            Assert.True((await new Waiter(-1).GetAsync(Next(), "/echo")).ReachedBackend);
        }

        var line = new List<Waiter>();
        for (var i = 0; i < Waiters; i++)
        {
            var waiter = new Waiter(i);
            var joined = await waiter.GetAsync(Next(), "/echo");
            Assert.Equal("queued", joined.State);
            Assert.Equal(i + 1, joined.Position);
            Assert.True(waiter.HasPlace, "a waiter with a ticket gets a place cookie");
            line.Add(waiter);
        }

        var tracked = line.Where(w => w.Index % TrackEvery == 0).ToList();
        var silentFar = line[^1]; // far at the start, never polls again
        var silentFarId = silentFar.VisitorId;

        // Act: cycles of one active TTL: the instances' rounds free the idle slots and release the head; every
        // tracked waiter polls once (the next instance in turn), and a released one arrives.
        var cycle = 0;
        var releasedSilentFar = false;
        for (; cycle < 80 && tracked.Any(w => w.AdmittedIn is null); cycle++)
        {
            await room.AdvanceAsync(TimeSpan.FromSeconds(21), instances);
            foreach (var waiter in tracked.Where(w => w.AdmittedIn is null))
            {
                var status = await waiter.GetAsync(Next(), "/_wr/status");
                Assert.True(status.State is "queued" or "released", $"waiter {waiter.Index} polled every cycle and got '{status.State}' in cycle {cycle}");
                if (status.State == "queued")
                {
                    waiter.Positions.Add(status.Position);
                    continue;
                }

                var arrival = await waiter.GetAsync(Next(), "/echo");
                Assert.True(arrival.ReachedBackend, $"waiter {waiter.Index} released in cycle {cycle} but not let in: {arrival.State}");
                waiter.AdmittedIn = cycle;
            }

            Assert.InRange(await room.UsedAsync(), 0, Capacity);
            releasedSilentFar |= await RoomStore.ScoreAsync(room.Prefix, "default", "released", silentFarId) is not null;
        }

        var polls = await PollCountsAsync(instances);

        // Assert
        Assert.All(tracked, w => Assert.NotNull(w.AdmittedIn));
        for (var i = 1; i < tracked.Count; i++)
        {
            Assert.True(tracked[i - 1].AdmittedIn <= tracked[i].AdmittedIn, $"waiter {tracked[i].Index} (cycle {tracked[i].AdmittedIn}) got in before waiter {tracked[i - 1].Index} (cycle {tracked[i - 1].AdmittedIn})");
        }

        Assert.All(tracked, w => Assert.True(
            w.Positions.Zip(w.Positions.Skip(1)).All(p => p.Second <= p.First),
            $"waiter {w.Index} was shown {string.Join(", ", w.Positions)}"));
        Assert.False(releasedSilentFar, "the far waiter who stopped polling reached the head");
        Assert.Equal("unknown", (await silentFar.GetAsync(Next(), "/_wr/status")).State);
        Assert.True(polls.ByInstance > 0, $"no poll was answered by an instance alone ({polls.ByStore} by the store)");
        Assert.True(polls.ByStore > 0, "no poll reached the store");
    }

    /// <summary>The instances' wr_polls_total counters by answer, summed.</summary>
    private static async Task<(long ByInstance, long ByStore)> PollCountsAsync(IEnumerable<ProxyInstance> instances)
    {
        long byInstance = 0, byStore = 0;
        foreach (var instance in instances)
        {
            using var client = instance.Anonymous();
            var text = await client.GetStringAsync("/_wr/metrics");
            foreach (Match match in PollLine().Matches(text))
            {
                var count = (long)double.Parse(match.Groups["count"].Value, CultureInfo.InvariantCulture);
                if (match.Value.Contains("answer=\"instance\"", StringComparison.Ordinal))
                {
                    byInstance += count;
                }
                else
                {
                    byStore += count;
                }
            }
        }

        return (byInstance, byStore);
    }

    [GeneratedRegex(@"^wr_polls_total\{[^}]*\} (?<count>[0-9.e+]+)", RegexOptions.Multiline)]
    private static partial Regex PollLine();

    /// <summary>One visitor that keeps its cookies (the token and the place) whichever instance it reaches.</summary>
    private sealed class Waiter(int index)
    {
        private readonly Dictionary<string, string> _cookies = new(StringComparer.Ordinal);

        public int Index { get; } = index;

        public List<long> Positions { get; } = [];

        public int? AdmittedIn { get; set; }

        public bool HasPlace => _cookies.ContainsKey("wr_token_place");

        public string VisitorId => _cookies["wr_token"][..22];

        public async Task<(string? State, long Position, bool ReachedBackend)> GetAsync(HttpClient client, string path)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Accept.ParseAdd("application/json");
            if (_cookies.Count > 0)
            {
                request.Headers.Add("Cookie", string.Join("; ", _cookies.Select(c => c.Key + "=" + c.Value)));
            }

            using var response = await client.SendAsync(request);
            Keep(response);
            var body = await response.Content.ReadAsStringAsync();
            if (response.Content.Headers.ContentType?.MediaType != "application/json" || body.Length == 0)
            {
                return (null, 0, false);
            }

            var json = JsonDocument.Parse(body).RootElement;
            if (json.TryGetProperty("method", out _))
            {
                return (null, 0, response.StatusCode == HttpStatusCode.OK);
            }

            return (json.TryGetProperty("state", out var state) ? state.GetString() : null, json.TryGetProperty("position", out var position) ? position.GetInt64() : 0, false);
        }

        private void Keep(HttpResponseMessage response)
        {
            if (!response.Headers.TryGetValues("Set-Cookie", out var values))
            {
                return;
            }

            foreach (var value in values)
            {
                var pair = value.Split(';')[0];
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                var name = pair[..equals];
                var text = pair[(equals + 1)..];
                if (text.Length == 0 || value.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase))
                {
                    _cookies.Remove(name);
                }
                else
                {
                    _cookies[name] = text;
                }
            }
        }
    }
}
