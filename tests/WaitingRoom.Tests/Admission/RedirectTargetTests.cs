using WaitingRoom.Admission;
using Xunit;

namespace WaitingRoom.Tests.Admission;

public sealed class RedirectTargetTests
{
    [Theory]
    [InlineData("/")]
    [InlineData("/shop?x=1")]
    [InlineData("/a/b#c")]
    [InlineData("/a//b")]
    [InlineData("/%0d%0a")]
    [InlineData("/%2F%2Fevil.example")]
    [InlineData("/caf\u00e9?q=\u00fc")]
    [InlineData("/path?next=https://evil.example")]
    public void IsLocalPath_PathOnThisSite_True(string target)
    {
        // Act
        var local = RedirectTarget.IsLocalPath(target);

        // Assert
        Assert.True(local);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("shop")]
    [InlineData(" /shop")]
    [InlineData("//evil.example")]
    [InlineData("///evil.example")]
    [InlineData("/\\evil.example")]
    [InlineData("\\\\evil")]
    [InlineData("\\/evil.example")]
    [InlineData("/a\\b")]
    [InlineData("https://evil.example")]
    [InlineData("javascript:alert(1)")]
    [InlineData("/\t/evil.example")]
    [InlineData("/\r\nSet-Cookie: x=1")]
    [InlineData("/a\0b")]
    [InlineData("/a\u007fb")]
    [InlineData("/a\u0085b")]
    public void IsLocalPath_ElsewhereOrControlCharacters_False(string? target)
    {
        // Act
        var local = RedirectTarget.IsLocalPath(target);

        // Assert
        Assert.False(local);
    }

    [Fact]
    public void For_LocalPathAndQuery_ReturnsIt()
    {
        // Act
        var target = RedirectTarget.For("/shop/cart?item=42", "/");

        // Assert
        Assert.Equal("/shop/cart?item=42", target);
    }

    [Theory]
    [InlineData("")]
    [InlineData("//evil.example/x")]
    [InlineData("/\\evil.example")]
    [InlineData("https://evil.example/")]
    [InlineData("/\nx")]
    public void For_NotLocal_ReturnsFallback(string pathAndQuery)
    {
        // Act
        var target = RedirectTarget.For(pathAndQuery, "/welcome");

        // Assert
        Assert.Equal("/welcome", target);
    }
}
