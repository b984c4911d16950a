using System.Text.Json;
using WaitingRoom.Admission;
using WaitingRoom.Tests.Infrastructure;
using Xunit;

namespace WaitingRoom.Tests.Admission;

/// <summary>The translation files of wwwroot/i18n: complete, consistent with English, and an operator's gaps filled and named.</summary>
public sealed class TranslationTests
{
    /// <summary>The languages the room ships; ar is written right to left.</summary>
    public static readonly string[] Languages = ["en", "de", "fr", "es", "it", "nl", "pt", "pl", "sv", "ja", "zh", "ar"];

    public static TheoryData<string> Shipped => new(Languages);

    private static readonly string s_folder = Path.Combine(AppContext.BaseDirectory, "wwwroot", VisitorPages.TranslationFolder);

    private static Dictionary<string, string> FileOf(string language) =>
        JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(Path.Combine(s_folder, language + ".json")))!;

    [Fact]
    public void ShippedFiles_AreTheTwelveLanguagesAndBuiltIn()
    {
        // Arrange
        var files = Directory.GetFiles(s_folder, "*.json").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal);

        // Act
        var builtIn = VisitorText.All.Select(t => t.Language).Order(StringComparer.Ordinal);

        // Assert
        Assert.Equal(Languages.Order(StringComparer.Ordinal), files);
        Assert.Equal(files, builtIn);
        Assert.Equal("en", VisitorText.All[0].Language);
    }

    [Theory]
    [MemberData(nameof(Shipped))]
    public void ShippedFile_HasEveryKeyOfEnglishAndNoOther(string language)
    {
        // Arrange
        var english = FileOf("en").Keys.ToHashSet(StringComparer.Ordinal);

        // Act
        var keys = FileOf(language).Keys.ToHashSet(StringComparer.Ordinal);

        // Assert
        Assert.Empty(english.Except(keys));
        Assert.Empty(keys.Except(english));
        Assert.Equal(VisitorText.Keys.Order(StringComparer.Ordinal), english.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Shipped))]
    public void ShippedFile_EveryPhraseHasEnglishsPlaceholdersAndIsNotEmpty(string language)
    {
        // Arrange
        var english = FileOf("en");

        // Act
        var problems = FileOf(language)
            .Select(pair => (pair.Key, Problem: string.IsNullOrWhiteSpace(pair.Value) ? "empty" : TranslationFile.Mismatch(pair.Key, pair.Value, english[pair.Key])))
            .Where(p => p.Problem is not null)
            .Select(p => $"{p.Key}: {p.Problem}");

        // Assert
        Assert.Empty(problems);
    }

    [Theory]
    [MemberData(nameof(Shipped))]
    public void ShippedFile_TranslatedAndWrittenInTheLanguagesDirection(string language)
    {
        // Arrange
        var file = FileOf(language);
        var english = FileOf("en");

        // Act
        var same = file.Keys.Count(key => key != VisitorText.DirectionKey && file[key] == english[key]);

        // Assert
        Assert.Equal(language == "ar" ? "rtl" : "ltr", file[VisitorText.DirectionKey]);
        Assert.True(language == "en" || same == 0, $"{same} phrases of {language} are English's");
    }

    [Fact]
    public void Keys_NoneIsAValueThePagesFillIn()
    {
        // Arrange: the values VisitorResponses writes into the pages (README, "Templates"); a phrase
        // of the same name would hide it, since phrases are looked up first.
        string[] values =
        [
            "position", "peopleAhead", "aheadLabel", "queueLength", "estimatedWait", "estimatedWaitSeconds", "room", "statusUrl",
            "target", "pollAfterSeconds", "refreshSeconds", "assetsUrl", "updatedAt", "title", "message", "modeNote", "mode", "phase",
            "showPosition", "eventStart", "challenge", "difficulty", "retryAfterSeconds", "admissionWindowSeconds", "lang",
            VisitorText.ScriptTextPlaceholder,
        ];

        // Act
        var shared = VisitorText.Keys.Intersect(values, StringComparer.Ordinal);

        // Assert
        Assert.Empty(shared);
    }

    [Fact]
    public void ScriptKeys_AreKeysOfTheFiles()
    {
        // Act
        var unknown = VisitorText.ScriptKeys.Except(VisitorText.Keys);

        // Assert
        Assert.Empty(unknown);
    }

    [Fact]
    public void Placeholder_PageValueInAPhrase_FilledAndScriptCountKept()
    {
        // Arrange
        var text = VisitorText.Of("fr");
        Func<string, string?> values = name => name switch { "retryAfterSeconds" => "30", "refreshSeconds" => "4", "n" => "999", _ => null };

        // Act
        var later = text.Placeholder("rejectedLater", values);
        var script = text.Placeholder(VisitorText.ScriptTextPlaceholder, values)!;

        // Assert
        Assert.Contains("30 secondes", later, StringComparison.Ordinal);
        Assert.Equal("fr", text.Placeholder("lang", values));
        Assert.Equal("ltr", text.Placeholder("dir", values));
        Assert.Null(text.Placeholder("position", values));
        var phrases = JsonSerializer.Deserialize<Dictionary<string, string>>(script)!;
        Assert.Equal(VisitorText.ScriptKeys.Order(StringComparer.Ordinal), phrases.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("environ {n} minutes", phrases["aboutMinutes"]);
        Assert.Equal("environ 12 minutes", text.DescribeWait(720));
    }

    [Fact]
    public void LoadTranslations_OperatorsFilesWithGaps_FilledFromShippedOrEnglishAndEachNamed()
    {
        // Arrange
        var root = Directory.CreateTempSubdirectory("wr-i18n-");
        try
        {
            var folder = Directory.CreateDirectory(Path.Combine(root.FullName, VisitorPages.TranslationFolder));
            var fr = FileOf("fr");
            fr.Remove("codeLabel");
            fr["placeLabel"] = "Votre place";
            fr["rejectedLater"] = "Revenez dans {retryAfterSecond} secondes.";
            fr["placeLabell"] = "typo";
            File.WriteAllText(Path.Combine(folder.FullName, "fr.json"), JsonSerializer.Serialize(fr));
            File.WriteAllText(Path.Combine(folder.FullName, "tr.json"), """{"dir":"ltr","placeLabel":"Sıradaki yeriniz"}""");
            File.WriteAllText(Path.Combine(folder.FullName, "de.json"), """{"placeLabel": """);
            File.WriteAllText(Path.Combine(folder.FullName, "Deutsch.json"), "{}");
            var capture = new LogCapture();

            // Act
            var texts = VisitorPages.LoadTranslations(root.FullName, capture.CreateLogger("test"));

            // Assert
            Assert.Equal(["de", "en", "fr", "tr"], texts.Keys.Order(StringComparer.Ordinal));
            Assert.Equal("Votre place", texts["fr"]["placeLabel"]);
            Assert.Equal(VisitorText.Of("fr")["codeLabel"], texts["fr"]["codeLabel"]);
            Assert.Equal(VisitorText.Of("fr")["rejectedLater"], texts["fr"]["rejectedLater"]);
            Assert.Equal("Sıradaki yeriniz", texts["tr"]["placeLabel"]);
            Assert.Equal(VisitorText.English["waitLabel"], texts["tr"]["waitLabel"]);
            Assert.Same(VisitorText.Of("de"), texts["de"]);
            Assert.Same(VisitorText.English, texts["en"]);
            var lines = capture.Entries.Select(e => (e.EventId.Id, e.Message)).ToArray();
            Assert.Contains(lines, l => l.Id == EventIds.TranslationIncomplete && l.Message.Contains("i18n/fr.json", StringComparison.Ordinal) && l.Message.Contains("codeLabel", StringComparison.Ordinal) && l.Message.Contains("shipped fr", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.Id == EventIds.TranslationPhraseUnusable && l.Message.Contains("i18n/fr.json", StringComparison.Ordinal) && l.Message.Contains("rejectedLater", StringComparison.Ordinal) && l.Message.Contains("{retryAfterSecond}", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.Id == EventIds.TranslationUnknownKeys && l.Message.Contains("placeLabell", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.Id == EventIds.TranslationIncomplete && l.Message.Contains("i18n/tr.json", StringComparison.Ordinal) && l.Message.Contains("waitLabel", StringComparison.Ordinal) && l.Message.Contains("English", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.Id == EventIds.TranslationUnusable && l.Message.Contains("i18n/de.json", StringComparison.Ordinal) && l.Message.Contains("shipped de", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.Id == EventIds.TranslationUnusable && l.Message.Contains("i18n/Deutsch.json", StringComparison.Ordinal));
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Fact]
    public void LoadTranslations_FolderWithoutTranslations_EnglishOnly()
    {
        // Arrange
        var root = Directory.CreateTempSubdirectory("wr-i18n-");
        try
        {
            var capture = new LogCapture();

            // Act
            var texts = VisitorPages.LoadTranslations(root.FullName, capture.CreateLogger("test"));

            // Assert
            Assert.Equal(["en"], texts.Keys);
            Assert.Empty(capture.Entries);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }
}
