using System.Buffers.Text;
using Microsoft.Extensions.Options;
using WaitingRoom.Admission;
using WaitingRoom.Configuration;
using WaitingRoom.Queue;
using Xunit;

namespace WaitingRoom.Tests.Admission;

public sealed class VisitorTokenSignerTests
{
    private const string Base64UrlAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    private static VisitorTokenSigner Signer(string? secret = "0123456789abcdef-test", IWaitingRoomStore? store = null) =>
        new(Options.Create(new WaitingRoomOptions { Secret = secret }), store ?? new InMemoryWaitingRoomStore(TimeProvider.System));

    private static string Replace(string token, int index, char c) => string.Concat(token.AsSpan(0, index), c.ToString(), token.AsSpan(index + 1));

    private static char Other(char c) => c == 'A' ? 'B' : 'A';

    [Fact]
    public void Issue_WithSecret_TokenOfFixedLengthThatReadsBackToSameId()
    {
        // Arrange
        var signer = Signer();

        // Act
        var (visitorId, token) = signer.Issue();
        var read = signer.TryRead(token, out var readId);

        // Assert
        Assert.Equal(VisitorTokenSigner.TokenLength, token.Length);
        Assert.Equal(45, VisitorTokenSigner.TokenLength);
        Assert.True(read);
        Assert.Equal(visitorId, readId);
        Assert.StartsWith(visitorId + ".", token, StringComparison.Ordinal);
        Assert.True(signer.IsReady);
    }

    [Fact]
    public void Macs_TwoSignersInterleavedOnOneThread_EachTheDocumentedHmacOfItsOwnKey()
    {
        // Arrange: the MACs a signer computes with its reused per-thread HMAC must stay the formulas
        // earlier versions used (cookies out there carry them), whichever key the thread used last.
        var signers = new[] { Signer("first-secret-0123456789"), Signer("second-secret-0123456789") };
        static string Expected(string secret, string data) => Base64Url.EncodeToString(
            System.Security.Cryptography.HMACSHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret), System.Text.Encoding.UTF8.GetBytes(data)).AsSpan(0, 16));

        for (var round = 0; round < 3; round++)
        {
            foreach (var (signer, secret) in signers.Zip(["first-secret-0123456789", "second-secret-0123456789"]))
            {
                // Act
                var (visitorId, token) = signer.Issue();
                var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
                signer.IssuePlace(context, visitorId, "sale-été", 123_456, 4_321);
                var place = context.Response.Headers.SetCookie.ToString();
                var pseudonym = signer.Pseudonym("sub", visitorId);

                // Assert
                Assert.Equal(visitorId + "." + Expected(secret, visitorId), token);
                Assert.Contains("wr_token_place=" + Uri.EscapeDataString("sale-été.123456.4321." + Expected(secret, "place:" + visitorId + ":sale-été.123456.4321")) + ";", place, StringComparison.Ordinal);
                Assert.Equal(Expected(secret, "sub:" + visitorId), pseudonym);
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void IssueCookieAndPlace_SetCookieHeaders_WhatResponseCookiesAppendWritesForTheirOptions(bool https)
    {
        // Arrange
        var signer = Signer();
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        context.Request.IsHttps = https;
        var expected = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        var options = new Microsoft.AspNetCore.Http.CookieOptions
        {
            HttpOnly = true, SameSite = Microsoft.AspNetCore.Http.SameSiteMode.Lax, Secure = https, Path = "/", MaxAge = TimeSpan.FromDays(1), IsEssential = true,
        };

        // Act: the token, a place in an ASCII room and one in a room whose name would need escaping.
        var visitorId = signer.IssueCookie(context);
        signer.IssuePlace(context, visitorId, "sale_2", 1, 2);
        signer.IssuePlace(context, visitorId, "sale-été", 3, 4);
        string[] written = [.. context.Response.Headers.SetCookie.Select(header => header!)];

        // Assert
        Assert.Equal(3, written.Length);
        foreach (var header in written)
        {
            var pair = header[..header.IndexOf(';', StringComparison.Ordinal)];
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            expected.Response.Cookies.Append(pair[..equals], Uri.UnescapeDataString(pair[(equals + 1)..]), options);
        }

        Assert.Equal(expected.Response.Headers.SetCookie.Select(header => header!), written);
        Assert.StartsWith("wr_token=" + visitorId + ".", written[0], StringComparison.Ordinal);
        Assert.True(signer.TryRead(written[0]["wr_token=".Length..written[0].IndexOf(';', StringComparison.Ordinal)], out var readId));
        Assert.Equal(visitorId, readId);
        Assert.StartsWith("wr_token_place=sale-%C3%A9t%C3%A9.3.4.", written[2], StringComparison.Ordinal);
    }

    [Fact]
    public void Issue_TenThousandTimes_IdsUniqueAndCarry128RandomBits()
    {
        // Arrange
        var signer = Signer();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var ones = new int[128];
        const int count = 10_000;

        // Act
        for (var i = 0; i < count; i++)
        {
            var (visitorId, token) = signer.Issue();
            ids.Add(visitorId);
            Assert.Equal(22, visitorId.Length);
            Assert.All(token.Remove(22, 1), c => Assert.Contains(c, Base64UrlAlphabet));
            var bytes = Base64Url.DecodeFromChars(visitorId);
            Assert.Equal(16, bytes.Length);
            for (var bit = 0; bit < 128; bit++)
            {
                ones[bit] += (bytes[bit / 8] >> (bit % 8)) & 1;
            }
        }

        // Assert: every one of the 128 bits is set in about half the ids (±5 %, ten standard deviations).
        Assert.Equal(count, ids.Count);
        Assert.All(ones, n => Assert.InRange(n, count * 45 / 100, count * 55 / 100));
    }

    [Fact]
    public void TryRead_ValidTokenReadBefore_TamperedCopiesStillRejectedAndTheTokenStillAccepted()
    {
        // Arrange: the valid token has been checked once, so the signer remembers it.
        var signer = Signer();
        var (visitor, token) = signer.Issue();
        Assert.True(signer.TryRead(token, out _));

        // Act & Assert: the memory answers only for that exact text.
        for (var index = 0; index < token.Length; index++)
        {
            var tampered = Replace(token, index, Other(token[index]));
            Assert.False(signer.TryRead(tampered, out var id), $"accepted {tampered} (changed index {index})");
            Assert.Equal("", id);
        }

        Assert.True(signer.TryRead(token, out var again));
        Assert.Equal(visitor, again);
        Assert.False(Signer("another-secret-of-16+").TryRead(token, out _));
    }

    [Fact]
    public void TryRead_MoreTokensThanItRemembers_EveryOneStillCheckedCorrectly()
    {
        var signer = Signer();
        var tokens = Enumerable.Range(0, VisitorTokenSigner.VerifiedCapacity + 10).Select(_ => signer.Issue()).ToList();

        var accepted = tokens.Count(t => signer.TryRead(t.Token, out var id) && id == t.VisitorId);
        var first = signer.TryRead(tokens[0].Token, out var firstId);

        Assert.Equal(tokens.Count, accepted);
        Assert.True(first);
        Assert.Equal(tokens[0].VisitorId, firstId);
    }

    [Fact]
    public void TryRead_AnyCharacterChangedToAnotherCanonicalOne_Rejected()
    {
        // Arrange
        var signer = Signer();
        var (_, token) = signer.Issue();

        // Act & Assert: characters 1-21 of each half carry 6 bits; the 22nd carries 2 bits and 4
        // unused zero bits, so only A, Q, g and w are canonical there.
        for (var index = 0; index < token.Length; index++)
        {
            if (index == 22)
            {
                continue;
            }

            var last = index is 21 or 44;
            foreach (var c in last ? "AQgw" : Base64UrlAlphabet)
            {
                if (c == token[index])
                {
                    continue;
                }

                var tampered = Replace(token, index, c);
                Assert.False(signer.TryRead(tampered, out var id), $"accepted {tampered} (changed index {index})");
                Assert.Equal("", id);
            }
        }
    }

    [Fact]
    public void TryRead_AnyCharacterChangedToAnything_ReturnsFalseWithoutThrowing()
    {
        // Arrange
        var signer = Signer();
        var (_, token) = signer.Issue();

        // Act & Assert
        for (var index = 0; index < token.Length; index++)
        {
            foreach (var c in Base64UrlAlphabet + "+/=.~ %\u00e9\0")
            {
                if (c == token[index])
                {
                    continue;
                }

                var tampered = Replace(token, index, c);
                var read = false;
                var exception = Record.Exception(() => read = signer.TryRead(tampered, out _));
                Assert.Null(exception);
                Assert.False(read, $"accepted {tampered} (changed index {index})");
            }
        }
    }

    [Fact]
    public void TryRead_TamperedIdAndMacFirstCharacter_Rejected()
    {
        // Arrange
        var signer = Signer();
        var (_, token) = signer.Issue();

        // Act
        var idTampered = signer.TryRead(Replace(token, 0, Other(token[0])), out _);
        var macTampered = signer.TryRead(Replace(token, 23, Other(token[23])), out _);

        // Assert
        Assert.False(idTampered);
        Assert.False(macTampered);
    }

    public static TheoryData<string?> MalformedTokens()
    {
        var token = Signer().Issue().Token;
        return new TheoryData<string?>
        {
            null,
            "",
            "a.b",
            "garbage",
            "%%%%%%%%%%%%%%%%%%%%%%.%%%%%%%%%%%%%%%%%%%%%",
            token[..^1],
            token + "A",
            token[..22],
            token.Replace('.', '_'),
            Replace(token, 22, 'x'),
            new string('A', 10 * 1024),
            token + new string('A', 10 * 1024),
            new string(' ', VisitorTokenSigner.TokenLength),
            "AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA",
            token[23..] + "." + token[..22],
        };
    }

    [Theory]
    [MemberData(nameof(MalformedTokens))]
    public void TryRead_MalformedToken_ReturnsFalseWithoutThrowing(string? token)
    {
        // Arrange
        var signer = Signer();

        // Act
        var exception = Record.Exception(() => signer.TryRead(token, out _));
        var read = signer.TryRead(token, out var id);

        // Assert
        Assert.Null(exception);
        Assert.False(read);
        Assert.Equal("", id);
    }

    public static TheoryData<string> TokensWithBadCharacters()
    {
        var token = Signer().Issue().Token;
        return new TheoryData<string>
        {
            Replace(token, 3, '='),
            Replace(token, 30, '+'),
            Replace(token, 30, '/'),
            Replace(token, 5, '\u00e9'),
            Replace(token, 21, token[21] == 'B' ? 'C' : 'B'),
            Replace(token, 44, token[44] == 'B' ? 'C' : 'B'),
            new string('.', VisitorTokenSigner.TokenLength),
            "AAAAAAAAAAAAAAAAAAAAA=.AAAAAAAAAAAAAAAAAAAAAA",
        };
    }

    [Theory]
    [MemberData(nameof(TokensWithBadCharacters))]
    public void TryRead_RightLengthButBadCharacters_ReturnsFalseWithoutThrowing(string token)
    {
        // Arrange
        var signer = Signer();
        var read = true;

        // Act
        var exception = Record.Exception(() => read = signer.TryRead(token, out _));

        // Assert
        Assert.Null(exception);
        Assert.False(read);
    }

    [Fact]
    public void TryRead_TokenSignedWithAnotherSecret_Rejected()
    {
        // Arrange
        var ours = Signer("0123456789abcdef-test");
        var theirs = Signer("fedcba9876543210-other");
        var (_, foreign) = theirs.Issue();

        // Act
        var read = ours.TryRead(foreign, out var id);

        // Assert
        Assert.False(read);
        Assert.Equal("", id);
        Assert.True(theirs.TryRead(foreign, out _));
    }

    [Fact]
    public void TryRead_SameSecretDifferentInstance_Accepted()
    {
        // Arrange
        var first = Signer("shared-secret-0123456789");
        var second = Signer("shared-secret-0123456789");
        var (visitorId, token) = first.Issue();

        // Act
        var read = second.TryRead(token, out var id);

        // Assert
        Assert.True(read);
        Assert.Equal(visitorId, id);
    }

    [Fact]
    public void IsReady_NoSecretBeforeEnsureReady_FalseAndIssueRefused()
    {
        // Arrange
        var signer = Signer(secret: null);

        // Act
        var ready = signer.IsReady;
        var exception = Record.Exception(() => signer.Issue());

        // Assert
        Assert.False(ready);
        Assert.IsType<InvalidOperationException>(exception);
    }

    [Fact]
    public async Task EnsureReadyAsync_NoSecret_SignersSharingStoreAcceptEachOthersTokens()
    {
        // Arrange
        var store = new InMemoryWaitingRoomStore(TimeProvider.System);
        var first = Signer(secret: null, store);
        var second = Signer(secret: null, store);
        var stranger = Signer(secret: null, new InMemoryWaitingRoomStore(TimeProvider.System));

        // Act
        await first.EnsureReadyAsync(default);
        await second.EnsureReadyAsync(default);
        await stranger.EnsureReadyAsync(default);
        var (firstId, firstToken) = first.Issue();
        var (secondId, secondToken) = second.Issue();

        // Assert
        Assert.True(first.IsReady);
        Assert.True(second.IsReady);
        Assert.True(second.TryRead(firstToken, out var readBySecond));
        Assert.Equal(firstId, readBySecond);
        Assert.True(first.TryRead(secondToken, out var readByFirst));
        Assert.Equal(secondId, readByFirst);
        Assert.False(stranger.TryRead(firstToken, out _));
        Assert.False(stranger.TryRead(secondToken, out _));
    }

    [Fact]
    public async Task EnsureReadyAsync_StoreFailsOnce_RetriedOnNextCall()
    {
        // Arrange
        var store = new FlakySecretStore();
        var signer = Signer(secret: null, store);

        // Act
        var first = await Record.ExceptionAsync(() => signer.EnsureReadyAsync(default));
        var readyAfterFailure = signer.IsReady;
        await signer.EnsureReadyAsync(default);

        // Assert
        Assert.IsType<StoreUnavailableException>(first);
        Assert.False(readyAfterFailure);
        Assert.True(signer.IsReady);
        Assert.Equal(2, store.SecretCalls);
    }

    [Fact]
    public void LogTag_LongId_FirstEightCharactersOnly()
    {
        // Arrange
        var (visitorId, _) = Signer().Issue();

        // Act
        var tag = VisitorTokenSigner.LogTag(visitorId);

        // Assert
        Assert.Equal(visitorId[..8], tag);
    }

    /// <summary>A store whose first secret request fails, as Redis does while it is down.</summary>
    private sealed class FlakySecretStore : IWaitingRoomStore
    {
        private int _secretCalls;

        public int SecretCalls => Volatile.Read(ref _secretCalls);

        public string Kind => "flaky";

        public Task<string> GetOrCreateSecretAsync(string candidate, CancellationToken cancellationToken) =>
            Interlocked.Increment(ref _secretCalls) == 1
                ? Task.FromException<string>(new StoreUnavailableException("down"))
                : Task.FromResult(candidate);

        public Task<AdmissionResult> AdmitAsync(RoomPolicy room, string visitorId, string? clientKey, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<AdmissionResult> AdmitKnownAsync(RoomPolicy room, string visitorId, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<bool> ReleaseAsync(RoomPolicy room, string visitorId, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<AdmissionResult> GetStatusAsync(RoomPolicy room, string visitorId, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<PromotionResult> PromoteAsync(RoomPolicy room, int limit, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<CapacityState> GetCapacityAsync(RoomPolicy room, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<CapacityState?> TrySetCapacityAsync(RoomPolicy room, CapacityChange change, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<CapacityChangeRecord>> GetCapacityChangesAsync(RoomPolicy room, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<string>> ShareWindowAsync(RoomPolicy room, string instance, string window, TimeSpan maxAge, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<StateTransition> RecordTransitionAsync(RoomPolicy room, string subject, string state, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<QueueSnapshot> GetQueueSnapshotAsync(RoomPolicy room, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<RoomCounts> GetCountsAsync(RoomPolicy room, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<bool> AddAnalyticsAsync(RoomPolicy room, WaitingRoom.Analytics.AnalyticsBatch batch, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<WaitingRoom.Analytics.AnalyticsMinute>> GetAnalyticsAsync(RoomPolicy room, long fromMinute, long toMinute, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<string>> TouchAsync(RoomPolicy room, IReadOnlyList<string> visitorIds, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task PingAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

        // Access codes: not used here.
        public Task<bool> CreateCodeAsync(RoomPolicy room, WaitingRoom.Codes.AccessCode code, int maxCodes, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<WaitingRoom.Codes.AccessCode>> ListCodesAsync(RoomPolicy room, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<WaitingRoom.Codes.AccessCode?> RevokeCodeAsync(RoomPolicy room, string id, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<WaitingRoom.Codes.CodeRedemption> RedeemCodeAsync(RoomPolicy room, string id, string hash, string visitorId, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<long> ResetQueueAsync(RoomPolicy room, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<string?> GetDocumentAsync(string name, CancellationToken cancellationToken) => Task.FromResult<string?>(null);

        public Task<bool> TrySetDocumentAsync(string name, string? expected, string value, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
