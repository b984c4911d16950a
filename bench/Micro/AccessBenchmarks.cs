using System.Net;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Primitives;
using WaitingRoom.Access;

namespace WaitingRoom.Micro;

/// <summary>
/// What the address lists and the crawler matcher cost each request that reaches them: a
/// browser's user agent (the common case, no match) and a crawler's, and a list of networks of
/// 10 or 1,000 entries against an IPv4, an IPv4-mapped and an IPv6 client that matches none.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class AccessBenchmarks
{
    private readonly StringValues _browser = new("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0");
    private readonly StringValues _crawler = new("Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.204 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)");
    private readonly IPAddress _v4 = IPAddress.Parse("198.51.100.7");
    private readonly IPAddress _mapped = IPAddress.Parse("::ffff:198.51.100.7");
    private readonly IPAddress _v6 = IPAddress.Parse("2001:db8:ffff::7");

    private NetworkList _list = NetworkList.Empty;

    /// <summary>Networks in the list: half IPv4 (10.x.y.0/24), half IPv6 (2001:db8:x::/48), none matching the clients.</summary>
    [Params(10, 1000)]
    public int Networks { get; set; }

    [GlobalSetup]
    public void Setup() => _list = new NetworkList(Enumerable.Range(0, Networks).Select(i => i % 2 == 0
        ? new IPNetwork(new IPAddress([10, (byte)(i / 256), (byte)(i % 256), 0]), 24)
        : IPNetwork.Parse($"2001:db8:{i:x}::/48")));

    [Benchmark]
    public bool CrawlerMatcherBrowser() => CrawlerAgents.IsCrawler(_browser);

    [Benchmark]
    public bool CrawlerMatcherGooglebot() => CrawlerAgents.IsCrawler(_crawler);

    [Benchmark]
    public bool EmptyList() => NetworkList.Empty.Contains(_v4);

    [Benchmark]
    public bool ListIPv4Miss() => _list.Contains(_v4);

    [Benchmark]
    public bool ListMappedMiss() => _list.Contains(_mapped);

    [Benchmark]
    public bool ListIPv6Miss() => _list.Contains(_v6);
}
