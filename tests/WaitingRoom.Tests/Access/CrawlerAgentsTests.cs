using Microsoft.Extensions.Primitives;
using WaitingRoom.Access;
using Xunit;

namespace WaitingRoom.Tests.Access;

public sealed class CrawlerAgentsTests
{
    /// <summary>User agents as the engines document them.</summary>
    public static TheoryData<string> Crawlers => new()
    {
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.6422.175 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36",
        "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
        "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
        "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
        "Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)",
        "GOOGLEBOT",
    };

    [Theory]
    [MemberData(nameof(Crawlers))]
    public void IsCrawler_KnownCrawler_True(string userAgent)
    {
        // Act & Assert
        Assert.True(CrawlerAgents.IsCrawler(new StringValues(userAgent)));
    }

    [Theory]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")]
    [InlineData("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1")]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0")]
    [InlineData("curl/8.5.0")]
    [InlineData("")]
    public void IsCrawler_BrowserOrTool_False(string userAgent)
    {
        // Act & Assert
        Assert.False(CrawlerAgents.IsCrawler(new StringValues(userAgent)));
    }

    [Fact]
    public void IsCrawler_NoUserAgentOrSeveral_ChecksEach()
    {
        // Act & Assert
        Assert.False(CrawlerAgents.IsCrawler(StringValues.Empty));
        Assert.True(CrawlerAgents.IsCrawler(new StringValues(["curl/8.5.0", "Googlebot/2.1"])));
    }

    [Fact]
    public void IsCrawler_HotPath_AllocatesNothing()
    {
        // Arrange
        var browser = new StringValues("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36");
        CrawlerAgents.IsCrawler(browser);

        // Act
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            CrawlerAgents.IsCrawler(browser);
        }

        // Assert
        // Less than a byte per call: nothing per call (the runtime may allocate once while it recompiles the loop).
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 9_999);
    }
}
