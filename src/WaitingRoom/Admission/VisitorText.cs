using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace WaitingRoom.Admission;

/// <summary>The phrases the server writes into a page itself, per language; the rest is in wwwroot/queue[.{language}].html.</summary>
internal sealed record VisitorText(
    string Language,
    string Calculating,
    string LessThanAMinute,
    string AboutOneMinute,
    string AboutMinutes,
    string AboutOneHour,
    string AboutHours,
    string PersonAhead,
    string PeopleAhead)
{
    public static readonly VisitorText English = new("en", "calculating…", "less than a minute", "about 1 minute", "about {0} minutes", "about 1 hour", "about {0} hours", "person ahead of you", "people ahead of you")
    {
        QueueTitle = "You're in the queue",
        RejectedTitle = "Sorry, we're full right now",
        RandomNote = "Places are drawn at random, not by arrival time: each time places free up, everyone waiting has the same chance.",
        QueueAllNote = "Nobody is being let in at the moment. You keep your place and will be let in, in order, as soon as the site opens.",
        PrequeueShuffledNote = "The site is not open yet. Everyone who is here before the opening gets a random place in line when it opens, so arriving early gives no advantage.",
        PrequeueInOrderNote = "The site is not open yet. You keep your place: visitors are let in in order of arrival once it opens.",

        // Access codes (Codes/).
        CodeLabel = "Have an access code?",
        CodeButton = "Use code",
        CodeInvalid = "This code is not valid.",
        CodeUsedUp = "This code has been used up.",
        CodeExpired = "This code has expired.",
        CodeTooMany = "Too many attempts. Please wait a minute and try again.",
        CodeAccepted = "Code accepted.",
        CodeContinue = "Continue",
    };

    public static readonly VisitorText German = new("de", "wird berechnet…", "weniger als eine Minute", "etwa 1 Minute", "etwa {0} Minuten", "etwa 1 Stunde", "etwa {0} Stunden", "Person vor Ihnen", "Personen vor Ihnen")
    {
        QueueTitle = "Sie sind in der Warteschlange",
        RejectedTitle = "Leider sind wir gerade voll",
        RandomNote = "Die Plätze werden ausgelost, nicht nach Ankunftszeit vergeben: Immer wenn Plätze frei werden, haben alle Wartenden dieselbe Chance.",
        QueueAllNote = "Im Moment wird niemand eingelassen. Sie behalten Ihren Platz und werden der Reihe nach eingelassen, sobald die Seite öffnet.",
        PrequeueShuffledNote = "Die Seite ist noch nicht geöffnet. Wer vor der Öffnung da ist, bekommt bei der Öffnung einen zufälligen Platz in der Schlange – früher kommen bringt keinen Vorteil.",
        PrequeueInOrderNote = "Die Seite ist noch nicht geöffnet. Sie behalten Ihren Platz: Ab der Öffnung wird in der Reihenfolge der Ankunft eingelassen.",

        // Access codes (Codes/).
        CodeLabel = "Haben Sie einen Zugangscode?",
        CodeButton = "Code verwenden",
        CodeInvalid = "Dieser Code ist nicht gültig.",
        CodeUsedUp = "Dieser Code ist aufgebraucht.",
        CodeExpired = "Dieser Code ist abgelaufen.",
        CodeTooMany = "Zu viele Versuche. Bitte warten Sie eine Minute und versuchen Sie es erneut.",
        CodeAccepted = "Code akzeptiert.",
        CodeContinue = "Weiter",
    };

    /// <summary>Heading of the queue page when the room sets no title.</summary>
    public string QueueTitle { get; init; } = "";

    /// <summary>Heading of the closed page (reject mode) when the room sets no title.</summary>
    public string RejectedTitle { get; init; } = "";

    /// <summary>How a random draw works.</summary>
    public string RandomNote { get; init; } = "";

    /// <summary>Why nobody gets in (queue-all).</summary>
    public string QueueAllNote { get; init; } = "";

    /// <summary>The pre-queue of an event that shuffles at its start (the page shows the start time beside it).</summary>
    public string PrequeueShuffledNote { get; init; } = "";

    /// <summary>The pre-queue of an event that keeps arrival order.</summary>
    public string PrequeueInOrderNote { get; init; } = "";

    // Access codes (Codes/): the code form and the pages of a redemption.

    /// <summary>The code form's label on the queue page.</summary>
    public string CodeLabel { get; init; } = "";

    /// <summary>The code form's button.</summary>
    public string CodeButton { get; init; } = "";

    /// <summary>An unknown or revoked code.</summary>
    public string CodeInvalid { get; init; } = "";

    /// <summary>A code whose uses are all taken.</summary>
    public string CodeUsedUp { get; init; } = "";

    /// <summary>A code past its expiry.</summary>
    public string CodeExpired { get; init; } = "";

    /// <summary>Too many wrong codes from the visitor's address this minute.</summary>
    public string CodeTooMany { get; init; } = "";

    /// <summary>A code that worked (JSON answers and the form's status).</summary>
    public string CodeAccepted { get; init; } = "";

    /// <summary>The link from a code's page back to where the visitor was going.</summary>
    public string CodeContinue { get; init; } = "";

    /// <summary>"person ahead of you" or "people ahead of you" for <paramref name="ahead"/>.</summary>
    public string AheadLabel(long ahead) => ahead == 1 ? PersonAhead : PeopleAhead;

    /// <summary>Every language the room ships text for; English first (the fallback).</summary>
    public static readonly IReadOnlyList<VisitorText> All = [English, German];

    /// <summary>Words for an estimate in seconds; null means there is no data yet.</summary>
    public string DescribeWait(long? seconds) => seconds switch
    {
        null => Calculating,
        < 60 => LessThanAMinute,
        < 90 => AboutOneMinute,
        < 3600 => string.Format(CultureInfo.InvariantCulture, AboutMinutes, (int)Math.Round(seconds.Value / 60.0)),
        < 5400 => AboutOneHour,
        _ => string.Format(CultureInfo.InvariantCulture, AboutHours, Math.Round(seconds.Value / 3600.0, 1).ToString(CultureInfo.InvariantCulture)),
    };

    /// <summary>WR_QUEUE_LANGUAGE when offered, else the best match of Accept-Language among <paramref name="offered"/>, else English.</summary>
    public static string Choose(HttpRequest request, string? forced, IReadOnlyCollection<string> offered)
    {
        if (forced is not null && offered.Contains(forced))
        {
            return forced;
        }

        var header = request.Headers.AcceptLanguage;
        if (header.Count == 0 || !StringWithQualityHeaderValue.TryParseList(header, out var ranges))
        {
            return English.Language;
        }

        string? best = null;
        double bestQuality = 0;
        foreach (var range in ranges)
        {
            var quality = range.Quality ?? 1.0;
            var tag = range.Value.Value ?? "";
            var primary = tag.Split('-')[0].ToLowerInvariant();
            if (quality > bestQuality && offered.Contains(primary))
            {
                best = primary;
                bestQuality = quality;
            }
        }

        return best ?? English.Language;
    }

    public static VisitorText Of(string language) => All.FirstOrDefault(t => t.Language == language) ?? English;
}
