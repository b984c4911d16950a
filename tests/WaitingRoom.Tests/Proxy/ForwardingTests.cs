using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.Proxy;

/// <summary>What admitted traffic looks like at the backend: bodies, streams, WebSockets, headers, cookies.</summary>
public sealed class ForwardingTests : IAsyncLifetime
{
    private TestBackend _backend = null!;
    private ProxyInstance _proxy = null!;

    public async Task InitializeAsync()
    {
        _backend = await TestBackend.StartAsync();
        var settings = RedisServer.Shared.Settings(RedisServer.NewPrefix());
        settings["WR_BACKEND_URL"] = _backend.Address.ToString();
        settings["WR_MAX_ACTIVE"] = "50";
        _proxy = await ProxyInstance.StartAsync(settings);
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _backend.DisposeAsync();
    }

    [Fact]
    public async Task Post_OneMegabyteBody_ReachesBackendIntact()
    {
        using var client = _proxy.Visitor();
        var body = RandomNumberGenerator.GetBytes(1 << 20);

        using var response = await client.PostAsync("/echo", new ByteArrayContent(body));
        var echo = TestBackend.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("POST", echo.GetProperty("method").GetString());
        Assert.Equal(body.Length, echo.GetProperty("bodyLength").GetInt32());
        Assert.Equal(Convert.ToHexString(SHA256.HashData(body)), echo.GetProperty("bodySha256").GetString());
    }

    [Fact]
    public async Task Get_StreamingResponse_ArrivesChunkByChunk()
    {
        using var client = _proxy.Visitor();

        using var response = await client.GetAsync("/stream", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var first = await reader.ReadLineAsync();
        var rest = await reader.ReadToEndAsync();

        Assert.Equal("chunk0", first);
        Assert.Equal("chunk1\nchunk2\nchunk3\nchunk4\n", rest);
        Assert.Null(response.Content.Headers.ContentLength);
    }

    [Fact]
    public async Task WebSocket_AdmittedVisitor_EchoesThroughTheProxy()
    {
        using var client = _proxy.Anonymous();
        var token = (await ProxyInstance.GetJsonAsync(client, "/echo")).Token!;
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Cookie", "wr_token=" + token);
        var uri = new UriBuilder(_proxy.Address) { Scheme = "ws", Path = "/ws" }.Uri;

        await socket.ConnectAsync(uri, CancellationToken.None);
        await socket.SendAsync(Encoding.UTF8.GetBytes("hello room"), WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[256];
        var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);

        Assert.Equal("hello room", Encoding.UTF8.GetString(buffer, 0, received.Count));
    }

    [Fact]
    public async Task WebSocket_QueuedVisitor_IsNotUpgraded()
    {
        var settings = RedisServer.Shared.Settings(RedisServer.NewPrefix());
        settings["WR_BACKEND_URL"] = _backend.Address.ToString();
        settings["WR_MAX_ACTIVE"] = "1";
        await using var full = await ProxyInstance.StartAsync(settings);
        using var client = full.Anonymous();
        await ProxyInstance.GetJsonAsync(client, "/echo");
        var before = _backend.Requests;
        using var socket = new ClientWebSocket();
        var uri = new UriBuilder(full.Address) { Scheme = "ws", Path = "/ws" }.Uri;

        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(uri, CancellationToken.None));

        Assert.Equal(before, _backend.Requests);
    }

    [Fact]
    public async Task Cookies_VisitorCookieAmongOthers_BackendSeesOnlyTheOthers()
    {
        using var client = _proxy.Anonymous();
        var token = (await ProxyInstance.GetJsonAsync(client, "/echo")).Token!;
        using var request = new HttpRequestMessage(HttpMethod.Get, "/echo");
        request.Headers.Add("Cookie", $"session=abc123; wr_token={token}; theme=dark");

        using var response = await client.SendAsync(request);
        var echo = TestBackend.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal("session=abc123; theme=dark", echo.GetProperty("cookie").GetString());
        Assert.Null(ProxyInstance.TokenOf(response));
    }

    [Fact]
    public async Task Cookies_OnlyTheVisitorCookie_BackendSeesNoCookieHeader()
    {
        using var client = _proxy.Anonymous();
        var token = (await ProxyInstance.GetJsonAsync(client, "/echo")).Token!;

        var echo = (await ProxyInstance.GetJsonAsync(client, "/echo", token)).Json!.Value;

        Assert.Equal("", echo.GetProperty("cookie").GetString());
    }

    [Fact]
    public async Task Headers_Forwarded_CarryClientAddressProtoAndHost()
    {
        using var client = _proxy.Visitor();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/echo?q=1");
        request.Headers.Host = "shop.example";
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

        using var response = await client.SendAsync(request);
        var echo = TestBackend.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal("/echo?q=1", echo.GetProperty("path").GetString());
        Assert.Equal("127.0.0.1", echo.GetProperty("xForwardedFor").GetString());
        Assert.Equal("http", echo.GetProperty("xForwardedProto").GetString());
        Assert.Equal("shop.example", echo.GetProperty("xForwardedHost").GetString());
    }
}
