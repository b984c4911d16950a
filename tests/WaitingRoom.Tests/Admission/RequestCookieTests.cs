using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using WaitingRoom.Admission;
using WaitingRoom.Configuration;
using WaitingRoom.Queue;
using Xunit;

namespace WaitingRoom.Tests.Admission;

/// <summary>
/// <see cref="RequestCookie"/> against the framework's own parse (<see cref="HttpRequest.Cookies"/>):
/// whatever it reads from the header alone is what the framework gives, and the usual headers are read
/// that way; the signer reads the same visitor either way.
/// </summary>
public sealed class RequestCookieTests
{
    private const string Token = "wr_token";
    private const string Place = "wr_token_place";

    private static readonly VisitorTokenSigner s_signer = new(Options.Create(new WaitingRoomOptions { Secret = "0123456789abcdef-test" }), new InMemoryWaitingRoomStore(TimeProvider.System));
    private static readonly string s_token = s_signer.Issue().Token;

    public static TheoryData<string[]> Headers() => new()
    {
        { [] },
        { [""] },
        { [$"wr_token={s_token}"] },
        { [$"a=b; wr_token={s_token}; c=d"] },
        { [$"a=b;wr_token={s_token}"] },
        { [$"wr_token={s_token}; wr_token_place=main.12.3.AAAAAAAAAAAAAAAAAAAAAA"] },
        { [$"wr_token_place=main.12.3.AAAAAAAAAAAAAAAAAAAAAA; wr_token={s_token}"] },
        { ["a=b; c=d"] },
        { [$"WR_TOKEN={s_token}"] },
        { [$"wr_token=\"{s_token}\""] },
        { [$"wr_token={s_token}; wr_token=other"] },
        { [$"wr_token=other; wr_token={s_token}"] },
        { [$"wr_token=other; WR_TOKEN={s_token}"] },
        { [$"xwr_token={s_token}"] },
        { [$"a=wr_token={s_token}"] },
        { [$"a=b, wr_token={s_token}"] },
        { [$"wr%5Ftoken={s_token}"] },
        { [$"wr_token={s_token.Replace(".", "%2E", StringComparison.Ordinal)}"] },
        { [$"wr_token = {s_token}"] },
        { [$" wr_token={s_token} "] },
        { ["wr_token="] },
        { ["wr_token"] },
        { [$"wr_token={s_token}x"] },
        { [$"wr_token={s_token}", "a=b"] },
        { ["a=b", $"wr_token={s_token}"] },
        { [$"wr_token={s_token}; wr_token_place="] },
        { ["wr_token_place=main.1.1.x; wr_token_place=main.2.2.y"] },
    };

    [Theory]
    [MemberData(nameof(Headers))]
    public void Find_AnyCookieHeader_WhatItReadsIsWhatTheFrameworkReads(string[] headers)
    {
        foreach (var name in new[] { Token, Place })
        {
            // Arrange
            var request = Request(headers);

            // Act
            var lookup = RequestCookie.Find(request, name, name + "=", out var value);
            var found = value.ToString();

            // Assert
            var framework = Request(headers).Cookies[name];
            switch (lookup)
            {
                case RequestCookie.Lookup.Found:
                    Assert.Equal(framework, found);
                    break;
                case RequestCookie.Lookup.Absent:
                    Assert.Null(framework);
                    break;
            }
        }
    }

    [Theory]
    [MemberData(nameof(Headers))]
    public void TryRead_AnyCookieHeader_TheVisitorTheFrameworksCookieGives(string[] headers)
    {
        var read = s_signer.TryRead(Request(headers), out var visitorId);
        var expected = s_signer.TryRead(Request(headers).Cookies[Token], out var expectedId);

        Assert.Equal(expected, read);
        Assert.Equal(expectedId, visitorId);
    }

    [Theory]
    [InlineData("wr_token={0}", true)]
    [InlineData("_ga=GA1.2.3.4; wr_token={0}; theme=dark", true)]
    [InlineData("wr_token={0}; wr_token_place=main.12.3.AAAAAAAAAAAAAAAAAAAAAA", true)]
    [InlineData("_ga=GA1.2.3.4; theme=dark", false)]
    public void Find_TheHeadersBrowsersSend_ReadWithoutTheFramework(string header, bool present)
    {
        var expected = present ? RequestCookie.Lookup.Found : RequestCookie.Lookup.Absent;
        var request = Request([string.Format(System.Globalization.CultureInfo.InvariantCulture, header, s_token)]);

        Assert.Equal(expected, RequestCookie.Find(request, Token, Token + "=", out _));
        Assert.Equal(RequestCookie.Lookup.Absent, RequestCookie.Find(Request([]), Token, Token + "=", out _));
    }

    private static HttpRequest Request(string[] headers)
    {
        var context = new DefaultHttpContext();
        if (headers.Length > 0)
        {
            context.Request.Headers.Cookie = headers;
        }

        return context.Request;
    }
}
