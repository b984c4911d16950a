using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using WaitingRoom.Admission;
using WaitingRoom.Queue;
using WaitingRoom.Rooms;
using static WaitingRoom.Operations.AdminJson;

namespace WaitingRoom.Analytics;

/// <summary>
/// The admin API's analytics, read from the store's per-minute data (so every instance answers alike):
/// <c>GET …/rooms/{name}/history?minutes=60</c> for the dashboard's charts and
/// <c>GET …/rooms/{name}/report?from=&lt;ISO&gt;&amp;to=&lt;ISO&gt;[&amp;format=csv]</c>, the event report.
/// Mapped inside the admin group, so behind WR_ADMIN_TOKEN; a bad parameter is a 400 naming it.
/// </summary>
internal static class AnalyticsEndpoints
{
    /// <summary>The longest report: the retention.</summary>
    private static readonly TimeSpan s_maxRange = AnalyticsBatch.Retention;

    private const int MaxHistoryMinutes = 1440;

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/rooms/{name}/history", HistoryAsync);
        api.MapGet("/rooms/{name}/report", ReportAsync);
    }

    private static async Task<IResult> HistoryAsync(HttpContext context, string name, RoomTable rooms, IWaitingRoomStore store, TimeProvider time)
    {
        if (rooms.Find(name) is not { } room)
        {
            return Error(StatusCodes.Status404NotFound, "unknown-room");
        }

        var span = 60;
        if (context.Request.Query["minutes"] is { Count: > 0 } text
            && (!int.TryParse(text.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out span) || span < 1 || span > MaxHistoryMinutes))
        {
            return Invalid($"'minutes' must be a whole number from 1 to {MaxHistoryMinutes}");
        }

        var now = time.GetUtcNow();
        var current = MinuteOf(now);
        var minutes = await store.GetAnalyticsAsync(room.PolicyAt(now), current - span + 1, current + 1, context.RequestAborted);
        var points = new JsonArray();
        foreach (var minute in minutes)
        {
            points.Add(new JsonObject
            {
                ["time"] = VisitorResponses.Iso(minute.Start),
                ["queued"] = minute.Queued,
                ["active"] = minute.Active,
                ["capacity"] = minute.Capacity,
                ["admittedPerMinute"] = minute.Admitted,
                ["arrivals"] = minute.Arrivals,
                ["admitted"] = minute.Admitted,
                ["abandoned"] = minute.Abandoned,
                ["releasedByOrigin"] = minute.ReleasedByOrigin,
                ["timeInQueueSeconds"] = Percentiles(minute.TimeInQueue),
            });
        }

        return Json(StatusCodes.Status200OK, new JsonObject { ["room"] = room.Name, ["points"] = points });
    }

    private static async Task<IResult> ReportAsync(HttpContext context, string name, RoomTable rooms, IWaitingRoomStore store, TimeProvider time)
    {
        if (rooms.Find(name) is not { } room)
        {
            return Error(StatusCodes.Status404NotFound, "unknown-room");
        }

        var query = context.Request.Query;
        var format = query["format"].ToString();
        if (format is not ("" or "json" or "csv"))
        {
            return Invalid("'format' must be json or csv");
        }

        var now = time.GetUtcNow();
        if (!TryInstant(query["to"].ToString(), now, out var to))
        {
            return Invalid("'to' must be an ISO 8601 time with its offset, such as 2026-12-03T15:00:00Z");
        }

        if (!TryInstant(query["from"].ToString(), to - TimeSpan.FromHours(1), out var from))
        {
            return Invalid("'from' must be an ISO 8601 time with its offset, such as 2026-12-03T14:00:00Z");
        }

        if (to <= from)
        {
            return Invalid("'to' must be later than 'from'");
        }

        if (to - from > s_maxRange)
        {
            return Invalid("'to' must be at most 30 days after 'from' (the minutes are kept 30 days)");
        }

        // The minutes that start in [from, to), none after the current one.
        var first = MinuteOf(from) + (from.ToUnixTimeMilliseconds() % 60_000 == 0 ? 0 : 1);
        var end = Math.Min(CeilingMinuteOf(to), MinuteOf(now) + 1);
        var stored = end > first
            ? await store.GetAnalyticsAsync(room.PolicyAt(now), first, end, context.RequestAborted)
            : [];
        var byMinute = stored.ToDictionary(m => m.Minute);
        var totals = new AnalyticsMinute(0);
        foreach (var minute in stored)
        {
            totals.Add(minute);
        }

        if (format == "csv")
        {
            var csv = new StringBuilder("at,arrivals,admitted,abandoned,queued,capacity\n");
            for (var m = first; m < end; m++)
            {
                var row = byMinute.GetValueOrDefault(m) ?? new AnalyticsMinute(m);
                csv.Append(CultureInfo.InvariantCulture, $"{VisitorResponses.Iso(row.Start)},{row.Arrivals},{row.Admitted},{row.Abandoned},{row.Queued},{row.Capacity}\n");
            }

            context.Response.Headers.ContentDisposition = $"attachment; filename=\"{room.Name}-report.csv\"";
            return Results.Text(csv.ToString(), "text/csv; charset=utf-8");
        }

        var rows = new JsonArray();
        for (var m = first; m < end; m++)
        {
            var row = byMinute.GetValueOrDefault(m) ?? new AnalyticsMinute(m);
            rows.Add(new JsonObject
            {
                ["at"] = VisitorResponses.Iso(row.Start),
                ["arrivals"] = row.Arrivals,
                ["admitted"] = row.Admitted,
                ["abandoned"] = row.Abandoned,
                ["queued"] = row.Queued,
                ["capacity"] = row.Capacity,
            });
        }

        return Json(StatusCodes.Status200OK, new JsonObject
        {
            ["room"] = room.Name,
            ["from"] = VisitorResponses.Iso(from),
            ["to"] = VisitorResponses.Iso(to),
            ["totals"] = new JsonObject
            {
                ["arrivals"] = totals.Arrivals,
                ["admitted"] = totals.Admitted,
                ["abandoned"] = totals.Abandoned,
                ["releasedByOrigin"] = totals.ReleasedByOrigin,
                ["timeInQueueSeconds"] = Percentiles(totals.TimeInQueue),
                ["timeOnSiteSeconds"] = Percentiles(totals.TimeOnSite),
            },
            ["minutes"] = rows,
        });
    }

    /// <summary>An ISO 8601 instant with its offset (or Z); <paramref name="fallback"/> when the parameter is absent.</summary>
    private static bool TryInstant(string text, DateTimeOffset fallback, out DateTimeOffset instant)
    {
        if (text.Length == 0)
        {
            instant = fallback;
            return true;
        }

        string[] formats = ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mmK"];
        var ok = DateTimeOffset.TryParseExact(text, formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out instant)
            && (text.EndsWith('Z') || text.Length > 6 && text[^6] is '+' or '-');
        instant = instant.ToUniversalTime();
        return ok;
    }

    private static long MinuteOf(DateTimeOffset time) => time.ToUnixTimeMilliseconds() / 60_000;

    private static long CeilingMinuteOf(DateTimeOffset time) => (time.ToUnixTimeMilliseconds() + 59_999) / 60_000;

    private static JsonObject Percentiles(long[] histogram) => new()
    {
        ["p50"] = DurationBuckets.Quantile(histogram, 0.50),
        ["p90"] = DurationBuckets.Quantile(histogram, 0.90),
        ["p99"] = DurationBuckets.Quantile(histogram, 0.99),
    };

    private static IResult Invalid(string message) => Error(StatusCodes.Status400BadRequest, "invalid-parameter", [message]);
}
