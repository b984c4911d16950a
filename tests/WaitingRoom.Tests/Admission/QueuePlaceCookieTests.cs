using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using WaitingRoom.Admission;
using WaitingRoom.Configuration;
using WaitingRoom.Queue;
using Xunit;

namespace WaitingRoom.Tests.Admission;

/// <summary>
/// The place cookie (wr_token_place) a far-back waiter's polls are answered from: it reads back only for the
/// visitor and room it was written for, and anything altered is no place (the store answers), never an error.
/// </summary>
public sealed class QueuePlaceCookieTests
{
    private static VisitorTokenSigner Signer(string secret = "0123456789abcdef-test") =>
        new(Options.Create(new WaitingRoomOptions { Secret = secret }), new InMemoryWaitingRoomStore(TimeProvider.System));

    /// <summary>The cookie value a response wrote for the place.</summary>
    private static string Written(VisitorTokenSigner signer, string visitorId, string room, long order, long shown)
    {
        var context = new DefaultHttpContext();
        signer.IssuePlace(context, visitorId, room, order, shown);
        var header = context.Response.Headers.SetCookie.ToString();
        Assert.StartsWith("wr_token_place=", header, StringComparison.Ordinal);
        Assert.Contains("httponly", header, StringComparison.OrdinalIgnoreCase);
        return header["wr_token_place=".Length..header.IndexOf(';', StringComparison.Ordinal)];
    }

    private static HttpRequest With(string cookie)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.Cookie = "wr_token_place=" + cookie;
        return context.Request;
    }

    [Fact]
    public void TryReadPlace_AsWritten_OrderAndShownBack()
    {
        var signer = Signer();
        var (visitorId, _) = signer.Issue();
        var cookie = Written(signer, visitorId, "sale-2", 1_234_567, 890);

        var read = signer.TryReadPlace(With(cookie), visitorId, "sale-2", out var order, out var shown);

        Assert.True(read);
        Assert.Equal((1_234_567L, 890L), (order, shown));
    }

    [Fact]
    public void TryReadPlace_AnotherVisitorRoomOrKey_NoPlace()
    {
        var signer = Signer();
        var (visitorId, _) = signer.Issue();
        var (otherVisitor, _) = signer.Issue();
        var cookie = Written(signer, visitorId, "default", 5000, 4000);

        Assert.False(signer.TryReadPlace(With(cookie), otherVisitor, "default", out _, out _));
        Assert.False(signer.TryReadPlace(With(cookie), visitorId, "other", out _, out _));
        Assert.False(Signer("another-secret-entirely").TryReadPlace(With(cookie), visitorId, "default", out _, out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("default")]
    [InlineData("default.5000")]
    [InlineData("default.5000.1")]
    [InlineData("default.-5.1.AAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("default.5000.4000.")]
    [InlineData("default.99999999999999999999.1.AAAAAAAAAAAAAAAAAAAAAA")]
    public void TryReadPlace_Malformed_NoPlaceNeverAnError(string cookie)
    {
        var signer = Signer();
        var (visitorId, _) = signer.Issue();

        Assert.False(signer.TryReadPlace(With(cookie), visitorId, "default", out _, out _));
    }

    [Fact]
    public void TryReadPlace_ShownOrOrderChanged_NoPlace()
    {
        // A client that lowers its shown position or moves its ticket up gets the store's answer instead.
        var signer = Signer();
        var (visitorId, _) = signer.Issue();
        var cookie = Written(signer, visitorId, "default", 5000, 4000);
        var mac = cookie[cookie.LastIndexOf('.')..];

        Assert.False(signer.TryReadPlace(With("default.5000.1" + mac), visitorId, "default", out _, out _));
        Assert.False(signer.TryReadPlace(With("default.4999.4000" + mac), visitorId, "default", out _, out _));
    }
}
