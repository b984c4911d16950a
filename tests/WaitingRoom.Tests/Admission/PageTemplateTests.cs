using WaitingRoom.Admission;
using Xunit;

namespace WaitingRoom.Tests.Admission;

public sealed class PageTemplateTests
{
    private static string Render(string text, Dictionary<string, string> values) =>
        new PageTemplate(text).Render(name => values.TryGetValue(name, out var value) ? value : null);

    [Fact]
    public void Render_KnownPlaceholders_Replaced()
    {
        // Arrange
        var values = new Dictionary<string, string> { ["position"] = "7", ["queueLength"] = "12" };

        // Act
        var html = Render("<p>You are {{position}} of {{queueLength}}.</p>", values);

        // Assert
        Assert.Equal("<p>You are 7 of 12.</p>", html);
    }

    [Fact]
    public void RenderUtf8_ValuesFarLongerThanThePage_BufferGrowsAndBytesMatchTheText()
    {
        // Arrange: values of many kilobytes, multi-byte and escaped, so the pooled buffer must grow
        // several times past its first size (the literal parts plus 512 bytes).
        var values = new Dictionary<string, string>
        {
            ["a"] = string.Concat(Enumerable.Repeat("é漢<", 3_000)),
            ["b"] = new string('x', 20_000),
        };
        var template = new PageTemplate("<p>{{a}}</p>{{unknown}}<i>{{b}}</i>ü");
        var expected = "<p>" + string.Concat(Enumerable.Repeat("é漢&lt;", 3_000)) + "</p>{{unknown}}<i>" + values["b"] + "</i>ü";

        // Act
        using var page = template.RenderUtf8(name => values.TryGetValue(name, out var value) ? value : null);

        // Assert
        Assert.Equal(System.Text.Encoding.UTF8.GetBytes(expected), page.Bytes.ToArray());
    }

    [Fact]
    public void Render_ValueWithMarkup_HtmlEncoded()
    {
        // Arrange
        var values = new Dictionary<string, string> { ["target"] = "<script>alert(1)</script>", ["room"] = "\" onload=\"x'&" };

        // Act
        var html = Render("<a href=\"{{target}}\" title=\"{{room}}\">go</a>", values);

        // Assert
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.Equal("<a href=\"&lt;script&gt;alert(1)&lt;/script&gt;\" title=\"&quot; onload=&quot;x&#x27;&amp;\">go</a>", html);
    }

    [Fact]
    public void Render_RepeatedPlaceholder_EveryOccurrenceReplaced()
    {
        // Arrange
        var values = new Dictionary<string, string> { ["position"] = "3" };
        var asked = new List<string>();
        var template = new PageTemplate("{{position}}-{{position}}|{{position}}");

        // Act
        var html = template.Render(name =>
        {
            asked.Add(name);
            return values[name];
        });

        // Assert
        Assert.Equal("3-3|3", html);
        Assert.Equal(["position", "position", "position"], asked);
        Assert.Equal(["position"], template.Placeholders);
    }

    [Fact]
    public void Render_UnknownPlaceholder_KeptAsWritten()
    {
        // Arrange
        var values = new Dictionary<string, string> { ["position"] = "1" };

        // Act
        var html = Render("{{position}} {{mystery}} end", values);

        // Assert
        Assert.Equal("1 {{mystery}} end", html);
    }

    [Theory]
    [InlineData("")]
    [InlineData("<html><body>No placeholders here.</body></html>")]
    [InlineData("a {{ b")]
    [InlineData("{{position")]
    [InlineData("trailing {{")]
    [InlineData("}} closing only {")]
    [InlineData("{{}}")]
    [InlineData("{{ position }}")]
    [InlineData("{{a-b}}")]
    [InlineData("function f(){{return 1;}}")]
    public void Render_NoValidPlaceholder_TextUnchanged(string text)
    {
        // Arrange
        var values = new Dictionary<string, string> { ["position"] = "X", ["a"] = "X", ["b"] = "X" };

        // Act
        var html = Render(text, values);

        // Assert
        Assert.Equal(text, html);
    }

    [Fact]
    public void Render_PlaceholderNameLongerThan40_KeptAsWritten()
    {
        // Arrange
        var name = new string('a', 41);
        var values = new Dictionary<string, string> { [name] = "X" };

        // Act
        var html = Render("{{" + name + "}}", values);

        // Assert
        Assert.Equal("{{" + name + "}}", html);
    }

    [Fact]
    public void Render_UnbalancedOpenBeforePlaceholder_OpenKeptAndPlaceholderReplaced()
    {
        // Arrange
        var values = new Dictionary<string, string> { ["position"] = "5" };

        // Act
        var html = Render("a {{ b {{position}} c {{", values);

        // Assert
        Assert.Equal("a {{ b 5 c {{", html);
    }

    [Fact]
    public void Render_TripleBraces_InnerPlaceholderReplaced()
    {
        // Arrange
        var values = new Dictionary<string, string> { ["position"] = "5" };

        // Act
        var html = Render("{{{{position}}}}", values);

        // Assert
        Assert.Equal("{{5}}", html);
    }

    [Fact]
    public void Placeholders_SeveralNames_EachListedOnce()
    {
        // Arrange
        var template = new PageTemplate("{{a}} {{b}} {{a}} {{not valid}} {{c1}}");

        // Act
        var names = template.Placeholders.ToList();

        // Assert
        Assert.Equal(["a", "b", "c1"], names);
    }
    public static TheoryData<string> Languages() => [.. VisitorText.All.Select(t => t.Language)];

    /// <summary>The queue page is bound once per room and language (VisitorResponses): the bound copy must render what the template renders.</summary>
    [Theory]
    [MemberData(nameof(Languages))]
    public void Bind_ShippedQueuePage_RendersWhatTheTemplateRenders(string language)
    {
        // Arrange: every value with markup in it, so encoding once (Bind) and per request (Render) are compared too.
        var text = VisitorText.All.Single(t => t.Language == language);
        var template = new PageTemplate(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "wwwroot", "queue.html")));
        var changing = new HashSet<string>(StringComparer.Ordinal) { "position", "queueLength", "estimatedWait", "target", "updatedAt" };
        string? ValueOf(string name) => name == "unknown" ? null : $"<{name} & \"x\">";
        string? ChangingOnly(string name) => changing.Contains(name) ? ValueOf(name) : null;

        // Act
        var bound = template.Bind(name => changing.Contains(name) ? null : ValueOf(name), text, changing);

        // Assert
        Assert.Equal(template.Render(ValueOf, text), bound.Render(ChangingOnly, text));
        Assert.Subset(template.Placeholders.ToHashSet(), bound.Placeholders.ToHashSet());
        Assert.Contains("position", bound.Placeholders);
        Assert.DoesNotContain("room", bound.Placeholders);
    }
}
