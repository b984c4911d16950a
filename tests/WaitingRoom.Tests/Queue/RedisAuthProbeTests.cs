using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using WaitingRoom.Configuration;
using WaitingRoom.Queue;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.Queue;

/// <summary>
/// The start-up check's own question to a real redis-server: does it take the room's credentials?
/// Its answer must name the variable to fix whatever the client's failure said, and must never
/// hang: an unreachable or silent Redis is answered with null within the probe's bound.
/// </summary>
public sealed class RedisAuthProbeTests
{
    private const string Password = "s3cret pass:with@odd/chars%";

    [Theory]
    [InlineData(null, null, "requires a password and none is set: set WR_REDIS_PASS")]
    [InlineData(null, "not-the-password", "refused the password: WR_REDIS_PASS")]
    [InlineData("alice", "not-the-password", "is not the password of Redis user 'alice' (WR_REDIS_USER")]
    public async Task AskAsync_CredentialsRefused_ReplyNamesTheVariable(string? user, string? password, string expected)
    {
        // Arrange
        using var server = SecureRedisServer.Start(["--requirepass", Password, "--user", "alice", "on", ">" + Password, "+@all", "~*"]);
        var options = Options(server.Port, ("WR_REDIS_USER", user), ("WR_REDIS_PASS", password));

        // Act
        var reply = await RedisAuthProbe.AskAsync(options, CancellationToken.None);

        // Assert
        Assert.NotNull(reply);
        Assert.Contains(expected, RedisProblem.DescribeReply(options, reply), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("alice")]
    public async Task AskAsync_RightPassword_Null(string? user)
    {
        // Arrange
        using var server = SecureRedisServer.Start(["--requirepass", Password, "--user", "alice", "on", ">" + Password, "+@all", "~*"]);
        var options = Options(server.Port, ("WR_REDIS_USER", user), ("WR_REDIS_PASS", Password));

        // Act
        var reply = await RedisAuthProbe.AskAsync(options, CancellationToken.None);

        // Assert
        Assert.Null(reply);
    }

    [Fact]
    public async Task AskAsync_NothingListens_NullAtOnce()
    {
        // Arrange
        var options = Options(FreePort());

        // Act
        var reply = await RedisAuthProbe.AskAsync(options, CancellationToken.None);

        // Assert
        Assert.Null(reply);
    }

    [Fact]
    public async Task AskAsync_ServerNeverAnswers_NullWithinTheBound()
    {
        // Arrange: accepts the connection, reads nothing, says nothing.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var options = Options(((IPEndPoint)listener.LocalEndpoint).Port);
        var clock = Stopwatch.StartNew();

        // Act
        var reply = await RedisAuthProbe.AskAsync(options, CancellationToken.None);

        // Assert: the bound plus a generous margin for a loaded machine.
        Assert.Null(reply);
        Assert.True(clock.Elapsed >= RedisAuthProbe.Timeout - TimeSpan.FromMilliseconds(100), $"gave up after {clock.Elapsed.TotalMilliseconds:F0} ms");
        Assert.True(clock.Elapsed < RedisAuthProbe.Timeout + TimeSpan.FromSeconds(10), $"took {clock.Elapsed.TotalMilliseconds:F0} ms");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AskAsync_Tls_AsksOnlyAServerItsCertificateRulesTrust(bool trusted)
    {
        // Arrange: TLS is the only way in; the probe trusts WR_REDIS_TLS_CA and nothing else.
        using var certificates = TestCertificates.Create();
        using var other = TestCertificates.Create("Some other CA");
        using var server = SecureRedisServer.Start(["--requirepass", Password], certificates, plainPort: false);
        var options = Options(server.TlsPort!.Value, ("WR_REDIS_TLS", "true"), ("WR_REDIS_TLS_CA", trusted ? certificates.CaFile : other.CaFile));

        // Act
        var reply = await RedisAuthProbe.AskAsync(options, CancellationToken.None);

        // Assert
        if (trusted)
        {
            Assert.NotNull(reply);
            Assert.StartsWith("NOAUTH", reply, StringComparison.Ordinal);
        }
        else
        {
            Assert.Null(reply);
        }
    }

    private static WaitingRoomOptions Options(int port, params (string Name, string? Value)[] variables)
    {
        var values = new Dictionary<string, string?>
        {
            ["WR_REDIS_HOST"] = "127.0.0.1",
            ["WR_REDIS_PORT"] = port.ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (name, value) in variables)
        {
            if (value is not null)
            {
                values[name] = value;
            }
        }

        return WaitingRoomOptionsReader.Read(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
