using System.Globalization;
using System.Net;
using System.Text;

namespace WaitingRoom.Bench;

/// <summary>
/// The results chart (SVG written by hand, no package): one horizontal bar per measure that has a
/// target, its length the measure's score (1 = exactly on target; past the line = better than the
/// target, whether the target is a floor like "≥ 0.90" or a ceiling like "≤ 1 ms"), green when it
/// passes, red when it fails; then the pass/fail checks that have no scale (errors, overruns).
/// </summary>
internal static class BenchmarkChart
{
    private const int Width = 1100;
    private const int LabelWidth = 440;
    private const int BarArea = 380;
    private const int RowHeight = 26;
    private const double MaxScore = 2.5;
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Render(string title, IReadOnlyList<ReportRow> rows)
    {
        var scored = rows.Where(r => r.Pass is not null && r.Score is not null).ToList();
        var checks = rows.Where(r => r.Pass is not null && r.Score is null).ToList();
        const int top = 90;
        var chartBottom = top + scored.Count * RowHeight;
        var height = chartBottom + 50 + checks.Count * 20 + 20;
        var x0 = LabelWidth;
        double X(double score) => x0 + Math.Min(score, MaxScore) / MaxScore * BarArea;

        var svg = new StringBuilder();
        svg.Append(Invariant, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{Width}" height="{height}" viewBox="0 0 {Width} {height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">""").Append('\n');
        svg.Append(Invariant, $"""<rect width="{Width}" height="{height}" fill="#ffffff"/>""").Append('\n');
        svg.Append(Invariant, $"""<text x="12" y="22" font-size="15" font-weight="bold">{Escape(title)}</text>""").Append('\n');
        svg.Append("""<text x="12" y="42" fill="#444">Bar = how the measure stands against its target (1 = exactly on target; right of the line = better than the target; ▸ = off the scale).</text>""").Append('\n');
        svg.Append("""<text x="12" y="58" fill="#444">Every ratio compares two figures of the same run; medians over rounds. wrk, proxies, backend and Redis share the machine.</text>""").Append('\n');

        // Scale: 0, 0.5, ... 2.5, and the target line at 1.
        for (var tick = 0.0; tick <= MaxScore + 1e-9; tick += 0.5)
        {
            var x = X(tick);
            svg.Append(Invariant, $"""<line x1="{x:0.#}" y1="{top - 6}" x2="{x:0.#}" y2="{chartBottom}" stroke="#e4e4e4"/>""").Append('\n');
            svg.Append(Invariant, $"""<text x="{x:0.#}" y="{chartBottom + 14}" text-anchor="middle" fill="#666">{tick:0.0}</text>""").Append('\n');
        }

        svg.Append(Invariant, $"""<line x1="{X(1):0.#}" y1="{top - 10}" x2="{X(1):0.#}" y2="{chartBottom + 2}" stroke="#333" stroke-dasharray="4 3"/>""").Append('\n');
        svg.Append(Invariant, $"""<text x="{X(1):0.#}" y="{top - 12}" text-anchor="middle" fill="#333">target</text>""").Append('\n');

        for (var i = 0; i < scored.Count; i++)
        {
            var row = scored[i];
            var y = top + i * RowHeight;
            var score = row.Score!.Value;
            var color = row.Pass == true ? "#2e7d32" : "#c62828";
            var label = $"{ShortScenario(row.Scenario)} · {Unqualified(row.Measure)}";
            svg.Append(Invariant, $"""<text x="{x0 - 8}" y="{y + 16}" text-anchor="end">{Escape(Clip(label, 68))}</text>""").Append('\n');
            svg.Append(Invariant, $"""<rect x="{x0}" y="{y + 5}" width="{Math.Max(1, X(score) - x0):0.#}" height="{RowHeight - 10}" fill="{color}"/>""").Append('\n');
            if (score > MaxScore)
            {
                svg.Append(Invariant, $"""<text x="{X(MaxScore) - 4:0.#}" y="{y + 16}" text-anchor="end" fill="#ffffff">▸</text>""").Append('\n');
            }

            var verdict = row.Pass == true ? "pass" : "FAIL";
            svg.Append(Invariant, $"""<text x="{x0 + BarArea + 14}" y="{y + 16}" fill="{color}">{Escape($"{row.Measured}  (target {row.Target})  {verdict}")}</text>""").Append('\n');
        }

        var checksTop = chartBottom + 44;
        svg.Append(Invariant, $"""<text x="12" y="{checksTop}" font-weight="bold">Checks</text>""").Append('\n');
        for (var i = 0; i < checks.Count; i++)
        {
            var row = checks[i];
            var mark = row.Pass == true ? "✓" : "✗";
            var color = row.Pass == true ? "#2e7d32" : "#c62828";
            var line = $"{mark} {ShortScenario(row.Scenario)} · {row.Measure}: {row.Value} (target {row.Target}{(row.Baseline.Length > 0 ? "; " + row.Baseline : "")})";
            svg.Append(Invariant, $"""<text x="24" y="{checksTop + 20 * (i + 1)}" fill="{color}">{Escape(Clip(line, 150))}</text>""").Append('\n');
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static string ShortScenario(string scenario) => scenario.Split(' ')[0];

    /// <summary>The measure without its note in parentheses, e.g. "(median of 3 rounds)".</summary>
    private static string Unqualified(string measure) => measure.Split(" (", 2)[0];

    private static string Clip(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";

    private static string Escape(string text) => WebUtility.HtmlEncode(text);
}
