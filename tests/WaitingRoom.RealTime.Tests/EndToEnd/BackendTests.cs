using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using WaitingRoom.Proxy;
using WaitingRoom.Tests.Infrastructure;
using WaitingRoom.Tests.Operations;
using Xunit;

namespace WaitingRoom.Tests.EndToEnd;

/// <summary>
/// The backend destinations over real HTTP with the Redis store: YARP's load balancing, the admin
/// API's run-time changes (on this instance and on another), active and passive health checks,
/// sticky sessions, and the clear 503/504 page when no destination can answer. Every visitor is
/// admitted (WR_MAX_ACTIVE 1000, no per-address cap), so every request is a forwarding decision.
/// </summary>
public sealed class BackendTests
{
    private const string AdminToken = "backend-tests-admin-token-0123456789";
    private const string Backends = "/_wr/admin/backends";
    private static readonly TimeSpan s_converge = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Forward_TwoDestinationsRoundRobin_TrafficSplitEvenly()
    {
        // Arrange
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var proxy = await ProxyInstance.StartAsync(Settings([a.Address, b.Address]));
        using var visitor = Client(proxy.Visitor());
        using var admin = new AdminClient(proxy.Address, AdminToken);

        // Act: one admitted visitor, 20 requests one after another.
        var answers = await TrafficAsync(visitor, 20);
        var (status, list, _) = await admin.GetAsync(Backends);

        // Assert
        Assert.All(answers, answer => Assert.Equal(HttpStatusCode.OK, answer.Status));
        Assert.Equal((10, 10), (a.Requests, b.Requests));
        Assert.Equal(10, answers.Count(answer => answer.Backend == "a"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("round-robin", list.GetProperty("loadBalancing").GetString());
        Assert.Equal([10L, 10L], list.GetProperty("destinations").EnumerateArray().Select(d => d.GetProperty("requests").GetInt64()));
    }

    [Theory]
    [InlineData("least-requests")]
    [InlineData("power-of-two-choices")]
    [InlineData("random")]
    public async Task Forward_LoadBalancingPolicy_AcceptedAndTrafficFlows(string policy)
    {
        // Arrange
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var proxy = await ProxyInstance.StartAsync(Settings([a.Address, b.Address], settings => settings["WR_LOAD_BALANCING"] = policy));
        using var visitor = Client(proxy.Visitor());
        using var admin = new AdminClient(proxy.Address, AdminToken);

        // Act
        var answers = await TrafficAsync(visitor, 20);
        var (_, list, _) = await admin.GetAsync(Backends);

        // Assert
        Assert.All(answers, answer => Assert.Equal(HttpStatusCode.OK, answer.Status));
        Assert.All(answers, answer => Assert.Contains(answer.Backend, new[] { "a", "b" }));
        Assert.Equal(20, a.Requests + b.Requests);
        Assert.Equal(policy, list.GetProperty("loadBalancing").GetString());
    }

    [Fact]
    public async Task AddBackend_AddedThenRemovedAtRunTime_ReceivesTrafficThenNone()
    {
        // Arrange
        await using var a = await TestBackend.StartAsync("a");
        await using var c = await TestBackend.StartAsync("c");
        await using var proxy = await ProxyInstance.StartAsync(Settings([a.Address]));
        using var visitor = Client(proxy.Visitor());
        using var admin = new AdminClient(proxy.Address, AdminToken);
        var before = await TrafficAsync(visitor, 4);

        // Act: add C, send a batch; remove C, send another.
        var (addStatus, added, _) = await admin.PostAsync(Backends, AddressBody(c.Address));
        var (duplicateStatus, duplicate, _) = await admin.PostAsync(Backends, $$"""{"address":"{{c.Address.ToString().TrimEnd('/')}}"}""");
        var (invalidStatus, invalid, _) = await admin.PostAsync(Backends, """{"address":"ftp://example.com"}""");
        var (listStatus, listed, _) = await admin.GetAsync(Backends);
        var withC = await TrafficAsync(visitor, 10);
        var cAfterAdd = c.Requests;
        var id = added.GetProperty("id").GetString()!;
        var (removeStatus, _, _) = await admin.SendAsync(HttpMethod.Delete, Backends + "/" + id);
        var (removeAgainStatus, removeAgain, _) = await admin.SendAsync(HttpMethod.Delete, Backends + "/" + id);
        var withoutC = await TrafficAsync(visitor, 10);
        var (_, afterRemove, _) = await admin.GetAsync(Backends);

        // Assert: before the change all went to A.
        Assert.All(before, answer => Assert.Equal("a", answer.Backend));

        // Added: 201 with the contract's fields, listed, and half of the round-robin batch.
        Assert.Equal(HttpStatusCode.Created, addStatus);
        Assert.Equal(c.Address.ToString(), added.GetProperty("address").GetString());
        Assert.False(added.GetProperty("disabled").GetBoolean());
        Assert.Equal((HttpStatusCode.Conflict, "duplicate-address"), (duplicateStatus, duplicate.GetProperty("error").GetString()));
        Assert.Equal((HttpStatusCode.BadRequest, "invalid-address"), (invalidStatus, invalid.GetProperty("error").GetString()));
        Assert.Equal(HttpStatusCode.OK, listStatus);
        Assert.Equal("round-robin", listed.GetProperty("loadBalancing").GetString());
        Assert.False(listed.GetProperty("sticky").GetBoolean());
        Assert.Equal(JsonValueKind.Null, listed.GetProperty("healthCheckPath").ValueKind);
        var listedC = Destination(listed, c.Address);
        Assert.Equal(id, listedC.GetProperty("id").GetString());
        foreach (var field in new[] { "id", "address", "disabled", "health", "activeHealth", "passiveHealth", "requests", "concurrentRequests" })
        {
            Assert.True(listedC.TryGetProperty(field, out _), $"GET {Backends} lacks '{field}': {listedC}");
        }

        Assert.All(withC, answer => Assert.Equal(HttpStatusCode.OK, answer.Status));
        Assert.Equal(5, cAfterAdd);
        Assert.Equal(5, withC.Count(answer => answer.Backend == "c"));

        // Removed: 204, then 404, gone from the list, and no more traffic.
        Assert.Equal(HttpStatusCode.NoContent, removeStatus);
        Assert.Equal((HttpStatusCode.NotFound, "unknown-backend"), (removeAgainStatus, removeAgain.GetProperty("error").GetString()));
        Assert.DoesNotContain(afterRemove.GetProperty("destinations").EnumerateArray(), d => d.GetProperty("id").GetString() == id);
        Assert.All(withoutC, answer => Assert.Equal((HttpStatusCode.OK, "a"), (answer.Status, answer.Backend)));
        Assert.Equal(cAfterAdd, c.Requests);
    }

    [Fact]
    public async Task DisableBackend_DisabledThenEnabled_NoTrafficThenTrafficAgain()
    {
        // Arrange
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var proxy = await ProxyInstance.StartAsync(Settings([a.Address, b.Address]));
        using var visitor = Client(proxy.Visitor());
        using var admin = new AdminClient(proxy.Address, AdminToken);
        var id = Destination((await admin.GetAsync(Backends)).Json, b.Address).GetProperty("id").GetString()!;

        // Act
        var (disableStatus, disabled, _) = await admin.PostAsync($"{Backends}/{id}/disable");
        var whileDisabled = await TrafficAsync(visitor, 10);
        var bWhileDisabled = b.Requests;
        var listedDisabled = Destination((await admin.GetAsync(Backends)).Json, b.Address);
        var (enableStatus, enabled, _) = await admin.PostAsync($"{Backends}/{id}/enable");
        var afterEnable = await TrafficAsync(visitor, 10);
        var (unknownStatus, unknown, _) = await admin.PostAsync($"{Backends}/d99/disable");

        // Assert
        Assert.Equal(HttpStatusCode.OK, disableStatus);
        Assert.True(disabled.GetProperty("disabled").GetBoolean());
        Assert.True(listedDisabled.GetProperty("disabled").GetBoolean());
        Assert.All(whileDisabled, answer => Assert.Equal((HttpStatusCode.OK, "a"), (answer.Status, answer.Backend)));
        Assert.Equal(0, bWhileDisabled);
        Assert.Equal(HttpStatusCode.OK, enableStatus);
        Assert.False(enabled.GetProperty("disabled").GetBoolean());
        Assert.All(afterEnable, answer => Assert.Equal(HttpStatusCode.OK, answer.Status));
        Assert.Equal(5, afterEnable.Count(answer => answer.Backend == "b"));
        Assert.Equal(5, b.Requests);
        Assert.Equal((HttpStatusCode.NotFound, "unknown-backend"), (unknownStatus, unknown.GetProperty("error").GetString()));
    }

    [Fact]
    public async Task AddBackend_AddedAndRemovedThroughInstanceA_InstanceBFollowsWithinBoundedTime()
    {
        // Arrange: two instances of one room (same Redis prefix, same settings).
        await using var a = await TestBackend.StartAsync("a");
        await using var c = await TestBackend.StartAsync("c");
        var settings = Settings([a.Address]);
        await using var first = await ProxyInstance.StartAsync(settings);
        await using var second = await ProxyInstance.StartAsync(settings);
        using var adminA = new AdminClient(first.Address, AdminToken);
        using var adminB = new AdminClient(second.Address, AdminToken);
        using var visitor = Client(second.Visitor());

        // Act: add C through A; wait until B lists it, then send B a batch.
        var (addStatus, added, _) = await adminA.PostAsync(Backends, AddressBody(c.Address));
        var clock = Stopwatch.StartNew();
        await Visit.UntilAsync(async () => HasDestination((await adminB.GetAsync(Backends)).Json, c.Address), s_converge, "instance B lists the destination added through A");
        var addSeenAfter = clock.Elapsed;
        var throughB = await TrafficAsync(visitor, 10);
        var cAfterAdd = c.Requests;

        // Act: remove C through A; wait until B drops it, then send B another batch.
        var (removeStatus, _, _) = await adminA.SendAsync(HttpMethod.Delete, Backends + "/" + added.GetProperty("id").GetString());
        await Visit.UntilAsync(async () => !HasDestination((await adminB.GetAsync(Backends)).Json, c.Address), s_converge, "instance B drops the destination removed through A");
        var afterRemove = await TrafficAsync(visitor, 10);

        // Assert
        Assert.Equal(HttpStatusCode.Created, addStatus);
        Assert.True(addSeenAfter < TimeSpan.FromSeconds(2), $"B followed after {addSeenAfter} (release interval 0.2 s)");
        Assert.All(throughB, answer => Assert.Equal(HttpStatusCode.OK, answer.Status));
        Assert.Equal(5, cAfterAdd);
        Assert.Equal(HttpStatusCode.NoContent, removeStatus);
        Assert.All(afterRemove, answer => Assert.Equal((HttpStatusCode.OK, "a"), (answer.Status, answer.Backend)));
        Assert.Equal(cAfterAdd, c.Requests);
    }

    [Fact]
    public async Task ActiveHealthCheck_DestinationFailsProbes_TakenOutAndBroughtBack()
    {
        // Arrange: probes every 0.5 s; both destinations healthy first.
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var proxy = await ProxyInstance.StartAsync(Settings([a.Address, b.Address], settings =>
        {
            settings["WR_HEALTH_CHECK_PATH"] = "/healthz";
            settings["WR_HEALTH_CHECK_INTERVAL"] = "0.5";
            settings["WR_HEALTH_CHECK_TIMEOUT"] = "0.4";
        }));
        using var visitor = Client(proxy.Visitor());
        using var admin = new AdminClient(proxy.Address, AdminToken);
        await Visit.UntilAsync(async () => await ActiveHealthAsync(admin, b.Address) == "healthy", s_converge, "B probed healthy");

        // Act: B fails its probes.
        b.Healthy = false;
        await Visit.UntilAsync(async () => await ActiveHealthAsync(admin, b.Address) == "unhealthy", s_converge, "B taken out by the active health check");
        var bBefore = b.Requests;
        var whileDown = await TrafficAsync(visitor, 10);
        var bWhileDown = b.Requests - bBefore;
        var listedDown = Destination((await admin.GetAsync(Backends)).Json, b.Address);

        // Act: B passes its probes again.
        b.Healthy = true;
        await Visit.UntilAsync(async () => await ActiveHealthAsync(admin, b.Address) == "healthy", s_converge, "B brought back by the active health check");
        var afterRecovery = await TrafficAsync(visitor, 10);

        // Assert
        Assert.True(b.HealthChecks > 0, "the probes reached B's /healthz");
        Assert.All(whileDown, answer => Assert.Equal((HttpStatusCode.OK, "a"), (answer.Status, answer.Backend)));
        Assert.Equal(0, bWhileDown);
        Assert.Equal("unhealthy", listedDown.GetProperty("health").GetString());
        Assert.Equal("healthy", Destination((await admin.GetAsync(Backends)).Json, a.Address).GetProperty("activeHealth").GetString());
        Assert.All(afterRecovery, answer => Assert.Equal(HttpStatusCode.OK, answer.Status));
        Assert.Equal(5, afterRecovery.Count(answer => answer.Backend == "b"));
    }

    [Fact]
    public async Task PassiveHealthCheck_DestinationRefusesConnections_TakenOutRequestsSucceedAndItIsTriedAgainAfterItsRest()
    {
        // Arrange: A answers; the other destination's port refuses every connection.
        await using var a = await TestBackend.StartAsync("a");
        using var dead = new RefusingPort();
        await using var proxy = await ProxyInstance.StartAsync(Settings([a.Address, dead.Address]));
        using var visitor = Client(proxy.Visitor());
        using var admin = new AdminClient(proxy.Address, AdminToken);

        // Act: requests until the passive check takes the dead destination out (bounded).
        var warmUp = new List<(HttpStatusCode Status, string Backend, VisitAnswer Answer)>();
        while (await PassiveHealthAsync(admin, dead.Address) != "unhealthy")
        {
            Assert.True(warmUp.Count < 40, $"the refusing destination still not taken out after {warmUp.Count} requests");
            warmUp.AddRange(await TrafficAsync(visitor, 1));
        }

        var after = await TrafficAsync(visitor, 10);
        var listedDead = Destination((await admin.GetAsync(Backends)).Json, dead.Address);

        // Act: after its rest (max(WR_HEALTH_CHECK_INTERVAL, 5 s)) the destination is given a chance again.
        var rest = Stopwatch.StartNew();
        await Visit.UntilAsync(async () => await PassiveHealthAsync(admin, dead.Address) != "unhealthy", TimeSpan.FromSeconds(15), "the destination is reactivated for another try");
        var restedFor = rest.Elapsed;

        // Assert: the failures were the room's clear 503, never a 500 or YARP's empty 502.
        var failures = warmUp.Where(answer => answer.Status != HttpStatusCode.OK).ToList();
        Assert.InRange(failures.Count, 1, ProxyConfiguration.PassiveMinimumRequests); // taken out after the few failures the passive policy needs to judge
        Assert.All(failures, failure => Assert.Equal((HttpStatusCode.ServiceUnavailable, "backend-unavailable"), (failure.Status, failure.Answer.Text("error"))));
        Assert.All(warmUp.Where(answer => answer.Status == HttpStatusCode.OK), answer => Assert.Equal("a", answer.Backend));

        // Assert: once out, every request succeeds through A.
        Assert.All(after, answer => Assert.Equal((HttpStatusCode.OK, "a"), (answer.Status, answer.Backend)));
        Assert.Equal(("unhealthy", "unhealthy"), (listedDead.GetProperty("passiveHealth").GetString(), listedDead.GetProperty("health").GetString()));
        Assert.Equal(failures.Count, listedDead.GetProperty("failures").GetInt64());
        Assert.InRange(restedFor, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(12));
    }

    [Fact]
    public async Task Sticky_TwoDestinations_VisitorKeepsItsDestinationAndVisitorsUseBoth()
    {
        // Arrange
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var proxy = await ProxyInstance.StartAsync(Settings([a.Address, b.Address], settings => settings["WR_STICKY"] = "true"));
        using var admin = new AdminClient(proxy.Address, AdminToken);

        // Act: one visitor's 10 requests; then six more visitors, three requests each.
        using var first = Client(proxy.Visitor());
        var firstAnswers = await TrafficAsync(first, 10);
        var others = new List<List<(HttpStatusCode Status, string Backend, VisitAnswer Answer)>>();
        for (var i = 0; i < 6; i++)
        {
            using var other = Client(proxy.Visitor());
            others.Add(await TrafficAsync(other, 3));
        }

        var (_, list, _) = await admin.GetAsync(Backends);

        // Assert
        Assert.True(list.GetProperty("sticky").GetBoolean());
        Assert.All(firstAnswers, answer => Assert.Equal(HttpStatusCode.OK, answer.Status));
        Assert.Single(firstAnswers.Select(answer => answer.Backend).Distinct());
        Assert.All(others, answers => Assert.Single(answers.Select(answer => answer.Backend).Distinct()));
        Assert.Equal(["a", "b"], others.Select(answers => answers[0].Backend).Distinct().Order());
    }

    [Fact]
    public async Task Sticky_VisitorsDestinationDisabled_MovedToTheOtherNot503()
    {
        // Arrange: a sticky visitor pinned to one of two destinations.
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var proxy = await ProxyInstance.StartAsync(Settings([a.Address, b.Address], settings => settings["WR_STICKY"] = "true"));
        using var visitor = Client(proxy.Visitor());
        using var admin = new AdminClient(proxy.Address, AdminToken);
        var pinned = (await TrafficAsync(visitor, 3)).Select(answer => answer.Backend).Distinct().Single();
        var pinnedAddress = pinned == "a" ? a.Address : b.Address;
        var id = Destination((await admin.GetAsync(Backends)).Json, pinnedAddress).GetProperty("id").GetString()!;

        // Act
        var (disableStatus, _, _) = await admin.PostAsync($"{Backends}/{id}/disable");
        var afterDisable = await TrafficAsync(visitor, 5);

        // Assert: the visitor goes on, on the other destination.
        Assert.Equal(HttpStatusCode.OK, disableStatus);
        Assert.All(afterDisable, answer => Assert.Equal((HttpStatusCode.OK, pinned == "a" ? "b" : "a"), (answer.Status, answer.Backend)));
    }

    [Theory]
    [InlineData("refusing")]
    [InlineData("disabled")]
    public async Task Forward_AllDestinationsDown_Fast503PageOrJsonNever500(string how)
    {
        // Arrange: two destinations that refuse connections, or two live ones disabled through the API.
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        using var deadA = new RefusingPort();
        using var deadB = new RefusingPort();
        Uri[] addresses = how == "refusing" ? [deadA.Address, deadB.Address] : [a.Address, b.Address];
        await using var proxy = await ProxyInstance.StartAsync(Settings(addresses, settings => settings["WR_BACKEND_TIMEOUT"] = "30"));
        using var client = Client(proxy.Anonymous());
        using var admin = new AdminClient(proxy.Address, AdminToken);
        if (how == "disabled")
        {
            foreach (var destination in (await admin.GetAsync(Backends)).Json.GetProperty("destinations").EnumerateArray())
            {
                Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"{Backends}/{destination.GetProperty("id").GetString()}/disable")).Status);
            }
        }

        // Act: a browser and a script, each a new visitor (admitted, then nowhere to go).
        var (html, htmlTook) = await TimedAsync(() => Visit.GetAsync(client, "/shop", forwardedFor: "203.0.113.1", accept: "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"));
        var (json, jsonTook) = await TimedAsync(() => Visit.GetAsync(client, "/api/cart", forwardedFor: "203.0.113.2"));

        // Assert
        AssertUnavailablePage(html, HttpStatusCode.ServiceUnavailable);
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "backend-unavailable"), (json.Status, json.Text("error")));
        Assert.True(json.Headers.RetryAfter is not null, "JSON answer without Retry-After");
        Assert.True(htmlTook < TimeSpan.FromSeconds(3), $"the HTML answer took {htmlTook} (WR_BACKEND_TIMEOUT 30 s)");
        Assert.True(jsonTook < TimeSpan.FromSeconds(3), $"the JSON answer took {jsonTook} (WR_BACKEND_TIMEOUT 30 s)");
        Assert.Equal(0, a.Requests + b.Requests);
    }

    [Fact]
    public async Task Forward_AllDestinationsRefusingAndTakenOut_StillClear503()
    {
        // Arrange: both destinations refuse; enough requests for the passive check to take both out.
        using var deadA = new RefusingPort();
        using var deadB = new RefusingPort();
        await using var proxy = await ProxyInstance.StartAsync(Settings([deadA.Address, deadB.Address], settings => settings["WR_BACKEND_TIMEOUT"] = "30"));
        using var visitor = Client(proxy.Visitor());
        using var admin = new AdminClient(proxy.Address, AdminToken);
        var warmUp = new List<(HttpStatusCode Status, string Backend, VisitAnswer Answer)>();
        while (await PassiveHealthAsync(admin, deadA.Address) != "unhealthy" || await PassiveHealthAsync(admin, deadB.Address) != "unhealthy")
        {
            Assert.True(warmUp.Count < 40, $"the refusing destinations still not both taken out after {warmUp.Count} requests");
            warmUp.AddRange(await TrafficAsync(visitor, 1));
        }

        // Act: YARP has no available destination now.
        var (html, htmlTook) = await TimedAsync(() => Visit.GetAsync(visitor, "/shop", accept: "text/html"));
        var (json, jsonTook) = await TimedAsync(() => Visit.GetAsync(visitor, "/api/cart"));

        // Assert
        Assert.All(warmUp, answer => Assert.Equal((HttpStatusCode.ServiceUnavailable, "backend-unavailable"), (answer.Status, answer.Answer.Text("error"))));
        AssertUnavailablePage(html, HttpStatusCode.ServiceUnavailable);
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "backend-unavailable"), (json.Status, json.Text("error")));
        Assert.True(htmlTook < TimeSpan.FromSeconds(3) && jsonTook < TimeSpan.FromSeconds(3), $"answers took {htmlTook} and {jsonTook}");
    }

    [Fact]
    public async Task Forward_BackendSlowerThanTimeout_504PageWithinTwoSeconds()
    {
        // Arrange: WR_BACKEND_TIMEOUT 1 s, a backend that takes 3 s.
        await using var a = await TestBackend.StartAsync("a");
        await using var proxy = await ProxyInstance.StartAsync(Settings([a.Address], settings => settings["WR_BACKEND_TIMEOUT"] = "1"));
        using var client = Client(proxy.Anonymous());

        // Act
        var (html, htmlTook) = await TimedAsync(() => Visit.GetAsync(client, "/slow?ms=3000", forwardedFor: "203.0.113.1", accept: "text/html"));
        var (json, jsonTook) = await TimedAsync(() => Visit.GetAsync(client, "/slow?ms=3000", forwardedFor: "203.0.113.2"));
        var fast = await Visit.GetAsync(client, "/slow?ms=10", forwardedFor: "203.0.113.3");

        // Assert
        AssertUnavailablePage(html, HttpStatusCode.GatewayTimeout);
        Assert.Equal((HttpStatusCode.GatewayTimeout, "backend-timeout"), (json.Status, json.Text("error")));
        Assert.InRange(htmlTook, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(2.5));
        Assert.InRange(jsonTook, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(2.5));
        Assert.Equal((HttpStatusCode.OK, "slow"), (fast.Status, fast.Body));
    }

    /// <summary>The settings of one room in front of <paramref name="backends"/>: Redis with a fresh prefix, everyone admitted, the admin API on.</summary>
    private static Dictionary<string, string?> Settings(IEnumerable<Uri> backends, Action<Dictionary<string, string?>>? configure = null)
    {
        var settings = RedisServer.Shared.Settings(RedisServer.NewPrefix());
        settings["WR_BACKEND_URL"] = string.Join(",", backends.Select(b => b.ToString()));
        settings["WR_MAX_ACTIVE"] = "1000";
        settings["WR_MAX_NEW_PER_IP_PER_MINUTE"] = "0";
        settings["WR_RELEASE_INTERVAL"] = "0.2";
        settings["WR_ADMIN_TOKEN"] = AdminToken;
        configure?.Invoke(settings);
        return settings;
    }

    /// <summary>A client that gives up after 10 s, so no test hangs on a request.</summary>
    private static HttpClient Client(HttpClient client)
    {
        client.Timeout = TimeSpan.FromSeconds(10);
        return client;
    }

    /// <summary><paramref name="count"/> GETs one after another (JSON accepted): status, the X-Backend that answered ("" when the proxy did) and the answer.</summary>
    private static async Task<List<(HttpStatusCode Status, string Backend, VisitAnswer Answer)>> TrafficAsync(HttpClient client, int count)
    {
        var answers = new List<(HttpStatusCode, string, VisitAnswer)>();
        for (var i = 0; i < count; i++)
        {
            var answer = await Visit.GetAsync(client, "/page/" + i.ToString(CultureInfo.InvariantCulture));
            var backend = answer.Headers.TryGetValues("X-Backend", out var values) ? values.Single() : "";
            answers.Add((answer.Status, backend, answer));
        }

        return answers;
    }

    private static async Task<(VisitAnswer Answer, TimeSpan Took)> TimedAsync(Func<Task<VisitAnswer>> request)
    {
        var clock = Stopwatch.StartNew();
        var answer = await request();
        return (answer, clock.Elapsed);
    }

    /// <summary>The room's "temporarily unavailable" HTML page with Retry-After: never an empty body.</summary>
    private static void AssertUnavailablePage(VisitAnswer answer, HttpStatusCode status)
    {
        Assert.Equal(status, answer.Status);
        Assert.Equal("text/html", answer.MediaType);
        Assert.Contains("temporarily unavailable", answer.Body, StringComparison.OrdinalIgnoreCase);
        Assert.True(answer.Headers.RetryAfter?.Delta > TimeSpan.Zero, $"Retry-After: {answer.Headers.RetryAfter}");
    }

    private static string AddressBody(Uri address) => JsonSerializer.Serialize(new { address = address.ToString() });

    private static bool HasDestination(JsonElement list, Uri address) =>
        list.GetProperty("destinations").EnumerateArray().Any(d => d.GetProperty("address").GetString() == address.ToString());

    /// <summary>The destination with <paramref name="address"/> in an answer of GET /_wr/admin/backends.</summary>
    private static JsonElement Destination(JsonElement list, Uri address) =>
        list.GetProperty("destinations").EnumerateArray().Single(d => d.GetProperty("address").GetString() == address.ToString());

    private static async Task<string?> ActiveHealthAsync(AdminClient admin, Uri address) =>
        Destination((await admin.GetAsync(Backends)).Json, address).GetProperty("activeHealth").GetString();

    private static async Task<string?> PassiveHealthAsync(AdminClient admin, Uri address) =>
        Destination((await admin.GetAsync(Backends)).Json, address).GetProperty("passiveHealth").GetString();

    /// <summary>
    /// A loopback port bound but not listening: every connection is refused at once, and the port
    /// cannot be given to another test's server while this holds it.
    /// </summary>
    private sealed class RefusingPort : IDisposable
    {
        private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

        public RefusingPort()
        {
            _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            Address = new Uri($"http://127.0.0.1:{((IPEndPoint)_socket.LocalEndPoint!).Port.ToString(CultureInfo.InvariantCulture)}/");
        }

        public Uri Address { get; }

        public void Dispose() => _socket.Dispose();
    }
}
