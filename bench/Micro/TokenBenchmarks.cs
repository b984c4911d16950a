using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using WaitingRoom.Admission;
using WaitingRoom.Configuration;
using WaitingRoom.Queue;

namespace WaitingRoom.Micro;

/// <summary>
/// The cookie work of an arrival and of a far-back poll: a new visitor's id and token, a token read
/// the first time (the check an instance does before it remembers the token), the place cookie
/// written and read back, and the assertion's pseudonym.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class TokenBenchmarks
{
    private readonly VisitorTokenSigner _signer = new(
        Options.Create(new WaitingRoomOptions { Secret = "bench-secret-bench-secret-bench-secret" }),
        new InMemoryWaitingRoomStore(TimeProvider.System));

    private readonly string[] _tokens = new string[4096];
    private DefaultHttpContext _poll = new();
    private string _visitor = "";
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        for (var i = 0; i < _tokens.Length; i++)
        {
            _tokens[i] = _signer.Issue().Token;
        }

        _visitor = _signer.Issue().VisitorId;
        var written = new DefaultHttpContext();
        _signer.IssuePlace(written, _visitor, "default", 123_456, 4_321);
        var cookie = written.Response.Headers.SetCookie.ToString();
        _poll = new DefaultHttpContext();
        _poll.Request.Headers.Cookie = cookie[..cookie.IndexOf(';')];
    }

    [Benchmark]
    public string Issue() => _signer.Issue().Token;

    /// <summary>A token not seen before (the remembered set is emptied when it fills, so most reads here check the MAC).</summary>
    [Benchmark]
    public bool ReadFirstTime()
    {
        var token = _tokens[_next++ & (_tokens.Length - 1)];
        return _signer.TryRead(token[..^1] + (token[^1] == 'A' ? 'B' : 'A'), out _);
    }

    [Benchmark]
    public void WritePlace() => _signer.IssuePlace(new DefaultHttpContext(), _visitor, "default", 123_456, 4_321);

    [Benchmark]
    public bool ReadPlace() => _signer.TryReadPlace(_poll.Request, _visitor, "default", out _, out _);

    [Benchmark]
    public string Pseudonym() => _signer.Pseudonym("sub", _visitor);
}
