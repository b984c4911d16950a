using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.Security;

/// <summary>
/// The published app twice, each in front of its own recording backend, with a real
/// redis-server: <see cref="Open"/> admits everyone (every request that passes reaches the
/// backend), <see cref="Waiting"/> is in queue-all mode (everyone waits, only /static bypasses).
/// Kestrel's limits are the product's own, except the two timeouts, shortened through the
/// standard <c>Kestrel__Limits__…</c> variables so slow clients are cut within seconds.
/// </summary>
public sealed class FuzzTarget : IAsyncLifetime
{
    public const string Secret = "fuzz-secret-0123456789abcdef";
    public const string AdminToken = "fuzz-admin-token-0123456789abcdef";
    public static readonly TimeSpan HeadersTimeout = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan BodyGracePeriod = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan s_readyWithin = TimeSpan.FromSeconds(40);

    public RecordingBackend OpenBackend { get; private set; } = null!;

    public RecordingBackend WaitingBackend { get; private set; } = null!;

    internal AppProcess Open { get; private set; } = null!;

    internal AppProcess Waiting { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        OpenBackend = await RecordingBackend.StartAsync();
        WaitingBackend = await RecordingBackend.StartAsync();
        Open = await AppProcess.StartAsync(Variables(OpenBackend, new()
        {
            ["WR_MAX_ACTIVE"] = "1000000",
            ["WR_SECRET"] = Secret,
            ["WR_ADMIN_TOKEN"] = AdminToken,
        }), readyWithin: s_readyWithin);
        Waiting = await AppProcess.StartAsync(Variables(WaitingBackend, new()
        {
            ["WR_QUEUE_MODE"] = "queue-all",
            ["WR_SECRET"] = "another-room-secret-0123456789",
            ["WR_BYPASS_PATHS"] = "/static",
            ["WR_ADMIN_TOKEN"] = AdminToken,
        }), readyWithin: s_readyWithin);
    }

    private static Dictionary<string, string> Variables(RecordingBackend backend, Dictionary<string, string> own)
    {
        var variables = new Dictionary<string, string>(own)
        {
            ["WR_BACKEND_URL"] = backend.Address.ToString().TrimEnd('/'),
            ["WR_MAX_NEW_PER_IP_PER_MINUTE"] = "0",
            ["Kestrel__Limits__RequestHeadersTimeout"] = "00:00:02",
            ["Kestrel__Limits__MinRequestBodyDataRate__GracePeriod"] = "00:00:02",
        };
        foreach (var (name, value) in RedisServer.Shared.Settings(RedisServer.NewPrefix()))
        {
            variables[name] = value!;
        }

        return variables;
    }

    public async Task DisposeAsync()
    {
        Open?.Dispose();
        Waiting?.Dispose();

        await OpenBackend.DisposeAsync();
        await WaitingBackend.DisposeAsync();
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RequestFuzzGroup : ICollectionFixture<FuzzTarget>
{
    public const string Name = "Request fuzz";
}
