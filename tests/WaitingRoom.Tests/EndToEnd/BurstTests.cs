using System.Net;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.EndToEnd;

/// <summary>
/// Capacity under a burst: real Kestrel, real HTTP through YARP to a real backend, a real
/// redis-server shared by every instance.
/// </summary>
public sealed class BurstTests
{
    [Fact]
    public async Task Burst_200ConcurrentNewVisitorsOneInstance_Exactly10ReachBackendAnd190HoldPositions1To190()
    {
        await using var backend = await TestBackend.StartAsync();
        var prefix = RedisServer.NewPrefix();
        await using var proxy = await ProxyInstance.StartAsync(Settings(prefix, backend));

        var outcome = await BurstAsync([proxy], 200);

        Assert.Equal(10, backend.Requests);
        Assert.Equal(10, outcome.Admitted);
        Assert.Equal(Enumerable.Range(1, 190).Select(p => (long)p), outcome.Positions.Order());
        Assert.Equal(0, outcome.Errors);
    }

    [Fact]
    public async Task Burst_200ConcurrentNewVisitorsOverThreeInstances_StillExactly10ReachBackend()
    {
        await using var backend = await TestBackend.StartAsync();
        var prefix = RedisServer.NewPrefix();
        await using var first = await ProxyInstance.StartAsync(Settings(prefix, backend));
        await using var second = await ProxyInstance.StartAsync(Settings(prefix, backend));
        await using var third = await ProxyInstance.StartAsync(Settings(prefix, backend));

        var outcome = await BurstAsync([first, second, third], 200);

        Assert.Equal(10, backend.Requests);
        Assert.Equal(10, outcome.Admitted);
        Assert.Equal(Enumerable.Range(1, 190).Select(p => (long)p), outcome.Positions.Order());
        Assert.Equal(0, outcome.Errors);
    }

    [Fact]
    public async Task Burst_200ConcurrentNewVisitorsInMemoryStore_Exactly10ReachBackend()
    {
        await using var backend = await TestBackend.StartAsync();
        await using var proxy = await ProxyInstance.StartAsync(new Dictionary<string, string?>
        {
            ["WR_MAX_ACTIVE"] = "10",
            ["WR_BACKEND_URL"] = backend.Address.ToString(),
        });

        var outcome = await BurstAsync([proxy], 200);

        Assert.Equal(10, backend.Requests);
        Assert.Equal(Enumerable.Range(1, 190).Select(p => (long)p), outcome.Positions.Order());
    }

    private static Dictionary<string, string?> Settings(string prefix, TestBackend backend)
    {
        var settings = RedisServer.Shared.Settings(prefix);
        settings["WR_MAX_ACTIVE"] = "10";
        settings["WR_BACKEND_URL"] = backend.Address.ToString();
        return settings;
    }

    /// <summary>Fires <paramref name="visitors"/> cookieless requests at once, spread round-robin over the instances.</summary>
    private static async Task<(int Admitted, List<long> Positions, int Errors)> BurstAsync(ProxyInstance[] instances, int visitors)
    {
        var clients = instances.Select(i => i.Anonymous()).ToArray();
        using var start = new SemaphoreSlim(0);
        var requests = Enumerable.Range(0, visitors).Select(async i =>
        {
            await start.WaitAsync();
            // Each visitor from its own address, as behind a real load balancer: the per-address
            // newcomer cap (WR_MAX_NEW_PER_IP_PER_MINUTE) stays on at its default.
            return await ProxyInstance.GetJsonAsync(clients[i % clients.Length], "/echo", forwardedFor: $"10.1.{i / 200}.{(i % 200) + 1}");
        }).ToList();
        start.Release(visitors);
        var results = await Task.WhenAll(requests);
        foreach (var client in clients)
        {
            client.Dispose();
        }

        var admitted = results.Count(r => r.Status == HttpStatusCode.OK && r.Json?.TryGetProperty("method", out _) == true);
        var positions = results
            .Where(r => r.Json?.TryGetProperty("state", out var state) == true && state.GetString() == "queued")
            .Select(r => r.Json!.Value.GetProperty("position").GetInt64())
            .ToList();
        var errors = results.Count(r => (int)r.Status >= 500);
        return (admitted, positions, errors);
    }
}
