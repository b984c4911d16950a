using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace WaitingRoom.Bench;

/// <summary>
/// <c>report</c>: turns the raw measurements of one run (--raw DIR, written by run.sh) into
/// results.json and results.md in --out DIR, and, with --svg, the chart of every measure against
/// its target. Every ratio compares two figures of the same run.
/// </summary>
internal static partial class ReportCommand
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static int Run(Arguments args)
    {
        var raw = new RawResults(args.Text("raw"));
        var output = args.Text("out");
        Directory.CreateDirectory(output);
        var rows = new List<ReportRow>();
        // A run of some scenarios only (--only) reports those.
        bool Ran(string prefix) => raw.Files.Keys.Any(k => k.StartsWith(prefix, StringComparison.Ordinal));
        if (raw.Has("idle"))
        {
            AddIdle(raw, rows);
        }

        if (Ran("s1-"))
        {
            AddHotPath(raw, rows);
        }

        if (Ran("s2-"))
        {
            AddStorm(raw, rows);
        }

        if (Ran("s3-"))
        {
            AddCrowd(raw, rows);
        }

        if (Ran("s4-"))
        {
            AddPromotion(raw, rows);
        }

        if (Ran("s5-"))
        {
            AddWaiters(raw, rows);
        }

        var title = $"WaitingRoom benchmarks — {raw.Text("meta", "mode") ?? "?"} run, {raw.Text("meta", "date") ?? "?"}, {raw.Text("meta", "machine") ?? "?"}";
        var markdown = Markdown(title, rows);
        File.WriteAllText(Path.Combine(output, "results.md"), markdown);
        File.WriteAllText(Path.Combine(output, "results.json"), Json(raw, rows));
        if (args.OptionalText("svg") is { } svg)
        {
            File.WriteAllText(svg, BenchmarkChart.Render(title, rows));
        }

        Console.Write(markdown);
        return rows.Any(r => r.Pass == false) ? 3 : 0;
    }

    private static void AddIdle(RawResults raw, List<ReportRow> rows)
    {
        const string S = "idle instance";
        var room = raw.Number("idle", "room_cpu_s_per_min");
        var bare = raw.Number("idle", "bare_cpu_s_per_min");
        rows.Add(Info(S, "WaitingRoom, no traffic: CPU seconds a minute", Seconds(room), $"minimal YARP {Seconds(bare)} s", Ratio(room, bare)));
        rows.Add(Info(S, "its Redis, no traffic: CPU seconds a minute", Seconds(raw.Number("idle", "redis_cpu_s_per_min")), "", ""));
    }

    private static void AddHotPath(RawResults raw, List<ReportRow> rows)
    {
        const string S = "S1 admitted hot path";
        string[] runs = ["s1-backend", "s1-bare", "s1-wr-off", "s1-wr"];
        var backend = raw.Number("s1-backend", "rps");
        var bare = raw.Number("s1-bare", "rps");
        var room = raw.Number("s1-wr", "rps");
        var quiet = raw.Number("s1-wr-nolog", "rps");
        var off = raw.Number("s1-wr-off", "rps");
        var rounds = raw.Rounds("s1-wr");
        var of = rounds > 1 ? $" (median of {rounds} rounds)" : "";
        var paired = rounds > 1 ? ", ratio: median of the rounds' own ratios" : "";
        rows.Add(Info(S, "backend direct: req/s" + of, Rate(backend), "", ""));
        rows.Add(Info(S, "minimal YARP app → backend: req/s" + of, Rate(bare), $"backend {Rate(backend)}", Ratio(bare, backend)));
        var haproxy = raw.Number("s1-haproxy", "rps");
        if (haproxy is not null)
        {
            rows.Add(Info(S, "HAProxy (Debian's, one thread) → backend: req/s" + of, Rate(haproxy), $"backend {Rate(backend)}", Ratio(haproxy, backend)));
        }
        var roomBare = Paired(raw, "s1-wr", "s1-bare", "rps");
        if (off is not null)
        {
            // The target's baseline, "bare YARP", is the same binary with the room off (every path
            // bypassed: no cookie, no store): the proxy's own request log, metrics and forwarding
            // are on both sides, so the ratio is the room's own cost. The minimal YARP app (no
            // request log, no tracing) is the stricter comparison, shown beside it.
            rows.Add(Info(S, "same binary, room off (WR_BYPASS_PATHS=/) → backend: req/s" + of, Rate(off), $"minimal YARP {Rate(bare)}", Ratio(off, bare)));
            var roomOff = Paired(raw, "s1-wr", "s1-wr-off", "rps");
            rows.Add(Check(S, "WaitingRoom → backend: req/s" + of + paired, Rate(room), $"room off {Rate(off)}", Ratio(roomOff), "≥ 0.90", AtLeast(roomOff, 0.90)));
            rows.Add(Check(S, "WaitingRoom → backend: req/s ÷ minimal YARP app's (stricter)" + paired, Rate(room), $"minimal YARP {Rate(bare)}",
                Ratio(roomBare), "≥ 0.90", AtLeast(roomBare, 0.90)));
        }
        else
        {
            rows.Add(Check(S, "WaitingRoom → backend: req/s" + of + paired, Rate(room), $"minimal YARP {Rate(bare)}", Ratio(roomBare), "≥ 0.90", AtLeast(roomBare, 0.90)));
        }

        rows.Add(Info(S, "WaitingRoom vs backend direct: req/s", Rate(room), $"backend {Rate(backend)}", Ratio(room, backend)));
        if (quiet is not null)
        {
            rows.Add(Info(S, "WaitingRoom, request log off: req/s", Rate(quiet), $"minimal YARP {Rate(bare)}", Ratio(quiet, bare)));
        }

        (string File, string Name)[] targets = [("s1-backend", "backend direct"), ("s1-haproxy", "HAProxy"), ("s1-bare", "minimal YARP app"), ("s1-wr-off", "room off"), ("s1-wr", "WaitingRoom"), ("s1-wr-nolog", "WaitingRoom, log off")];
        foreach (var (file, name) in targets)
        {
            if (raw.Has(file))
            {
                rows.Add(Info(S, $"{name}: p50 / p99 latency" + of, $"{Ms(raw.Number(file, "p50_ms"))} / {Ms(raw.Number(file, "p99_ms"))} ms",
                    raw.Rounds(file) > 1
                        ? $"req/s {Rate(raw.Min(file, "rps"))}–{Rate(raw.Max(file, "rps"))}, p99 {Ms(raw.Min(file, "p99_ms"))}–{Ms(raw.Max(file, "p99_ms"))} ms over {raw.Rounds(file)} rounds"
                        : "", ""));
            }
        }

        // CPU time per request of the servers (proxy, backend, Redis): on a shared machine req/s
        // drifts with the neighbours, CPU per request much less.
        if (raw.Has("s1-wr") && raw.Number("s1-wr", "server_cpu_us") is { } roomCpu)
        {
            foreach (var (file, name) in targets)
            {
                if (raw.Number(file, "server_cpu_us") is { } cpu)
                {
                    rows.Add(Info(S, $"{name}: server CPU µs per request (proxy + backend + Redis)" + of, Us(cpu),
                        file == "s1-wr" ? $"room off {Us(raw.Number("s1-wr-off", "server_cpu_us"))}, minimal YARP {Us(raw.Number("s1-bare", "server_cpu_us"))}" : "",
                        file == "s1-wr" ? Ratio(roomCpu, raw.Number("s1-wr-off", "server_cpu_us")) : ""));
                }
            }
        }

        // The room's own cost against the minimal YARP app, per request, and against HAProxy.
        var bareCpu = raw.Number("s1-bare", "server_cpu_us");
        if (bareCpu is not null)
        {
            var roomCpuNow = raw.Number("s1-wr", "server_cpu_us");
            var offCpu = raw.Number("s1-wr-off", "server_cpu_us");
            var admittedBare = Paired(raw, "s1-wr", "s1-bare", "server_cpu_us");
            rows.Add(Check(S, "admitted request: server CPU per request ÷ minimal YARP app's" + paired, Us(roomCpuNow), $"minimal YARP {Us(bareCpu)}",
                Ratio(admittedBare), "≤ 1.10", AtMost(admittedBare, 1.10)));
            if (offCpu is not null)
            {
                var offBare = Paired(raw, "s1-wr-off", "s1-bare", "server_cpu_us");
                rows.Add(Check(S, "room off: server CPU per request ÷ minimal YARP app's" + paired, Us(offCpu), $"minimal YARP {Us(bareCpu)}",
                    Ratio(offBare), "≤ 1.05", AtMost(offBare, 1.05)));
            }

            if (haproxy is not null)
            {
                var haproxyCpu = raw.Number("s1-haproxy", "server_cpu_us");
                rows.Add(Info(S, "admitted request vs HAProxy: req/s · server CPU per request", $"{Ratio(room, haproxy)} · {Ratio(roomCpuNow, haproxyCpu)}",
                    $"HAProxy {Rate(haproxy)} req/s, {Us(haproxyCpu)}", ""));
            }

            // owr, the elder (bench/owr), when the run measured it.
            if (raw.Number("s1-owr", "rps") is { } owr)
            {
                rows.Add(Check(S, "admitted req/s ÷ owr's (nginx + Lua + Redis)", Rate(room), $"owr {Rate(owr)} req/s, {Us(raw.Number("s1-owr", "server_cpu_us"))}",
                    Ratio(room, owr), "≥ 3.5", AtLeast(Divide(room, owr), 3.5)));
            }
        }

        // Bytes allocated per request by the .NET targets (dotnet-counters, one load of each after the rounds).
        if (raw.Has("s1-alloc"))
        {
            var admitted = raw.Number("s1-alloc", "wr");
            var offAllocated = raw.Number("s1-alloc", "wr_off");
            var minimal = raw.Number("s1-alloc", "bare");
            rows.Add(Info(S, "bytes allocated per request: admitted · room off · minimal YARP", $"{Count(admitted)} · {Count(offAllocated)} · {Count(minimal)} B",
                $"the room's decision {Count(Minus(admitted, offAllocated))} B, the pipeline around it {Count(Minus(offAllocated, minimal))} B", Ratio(admitted, minimal)));
        }

        // The tail on a shared machine is mostly other processes' stalls, which hit one round and
        // not the next: each target's least disturbed round (its lowest p99) is compared.
        var roomP99 = raw.Min("s1-wr", "p99_ms");
        var bareP99 = raw.Min("s1-bare", "p99_ms");
        var best = rounds > 1 ? " (lowest p99 of each over the rounds)" : "";
        if (raw.Has("s1-wr-off"))
        {
            var offP99 = raw.Min("s1-wr-off", "p99_ms");
            var addedOverOff = Minus(roomP99, offP99);
            rows.Add(Check(S, "p99 added by WaitingRoom over the room off" + best, $"{Ms(addedOverOff)} ms", $"room off p99 {Ms(offP99)} ms, WaitingRoom {Ms(roomP99)} ms",
                Ratio(roomP99, offP99), "≤ 1 ms", AtMost(addedOverOff, 1.0)) with { Measured = $"+{Ms(addedOverOff)} ms" });
            var addedOverMinimal = Minus(roomP99, bareP99);
            rows.Add(Info(S, "p99 added over the minimal YARP app (stricter)" + best, $"+{Ms(addedOverMinimal)} ms", $"minimal YARP p99 {Ms(bareP99)} ms, WaitingRoom {Ms(roomP99)} ms",
                Ratio(roomP99, bareP99)));
        }
        else
        {
            var added = Minus(roomP99, bareP99);
            rows.Add(Check(S, "p99 added by WaitingRoom over the minimal YARP app" + best, $"{Ms(added)} ms", $"minimal YARP p99 {Ms(bareP99)} ms, WaitingRoom {Ms(roomP99)} ms",
                Ratio(roomP99, bareP99), "≤ 1 ms", AtMost(added, 1.0)) with { Measured = $"+{Ms(added)} ms" });
        }

        var p50Added = Minus(raw.Number("s1-wr", "p50_ms"), raw.Number("s1-bare", "p50_ms"));
        rows.Add(Info(S, "p50 added by WaitingRoom over the minimal YARP app" + of, $"{Ms(p50Added)} ms", $"minimal YARP p50 {Ms(raw.Number("s1-bare", "p50_ms"))} ms",
            Ratio(raw.Number("s1-wr", "p50_ms"), raw.Number("s1-bare", "p50_ms"))));

        runs = [.. runs.Where(r => r != "s1-wr-off" || raw.Has(r))]; // absent from runs before it was measured
        if (raw.Has("s1-haproxy"))
        {
            runs = [.. runs, "s1-haproxy"];
        }

        var errors = Sum(raw, runs, "non_2xx_3xx") + Sum(raw, runs, "socket_errors");
        rows.Add(Check(S, "non-2xx/3xx responses + socket errors", Count(errors), $"of {Count(Sum(raw, runs, "requests"))} requests", "", "0", errors == 0));
        AddOtherLoad(raw, rows, S, [.. runs, "s1-wr-nolog"]);
    }

    private static void AddStorm(RawResults raw, List<ReportRow> rows)
    {
        const string S = "S2 arrival storm";
        var decisions = raw.Number("s2-storm", "rps");
        var bare = raw.Number("s1-bare", "rps");
        rows.Add(Check(S, "decisions/s (every request a new visitor)", Rate(decisions), $"minimal YARP S1 {Rate(bare)}", Ratio(decisions, bare), "≥ 0.50", AtLeast(Divide(decisions, bare), 0.50)));
        rows.Add(Info(S, "p50 / p99 latency", $"{Ms(raw.Number("s2-storm", "p50_ms"))} / {Ms(raw.Number("s2-storm", "p99_ms"))} ms", "", ""));
        if (raw.Number("s2-storm", "server_cpu_us") is { } stormCpu)
        {
            var bareCpu = raw.Number("s1-bare", "server_cpu_us");
            rows.Add(Check(S, "server CPU µs per decision (proxy + backend + Redis) ÷ minimal YARP's per S1 request", Us(stormCpu), $"minimal YARP S1 {Us(bareCpu)}",
                Ratio(stormCpu, bareCpu), "≤ 1.6", AtMost(Divide(stormCpu, bareCpu), 1.6)));
        }

        if (raw.Number("s2-owr-storm", "rps") is { } owrDecisions)
        {
            rows.Add(Check(S, "decisions/s ÷ owr's storm", Rate(decisions), $"owr {Rate(owrDecisions)}/s, {Us(raw.Number("s2-owr-storm", "server_cpu_us"))}; up to {Count(raw.Number("s2-owr-watch", "maxUsed"))} of 100 let in",
                Ratio(decisions, owrDecisions), "≥ 5", AtLeast(Divide(decisions, owrDecisions), 5)));
        }

        var capacity = raw.Number("s2-watch", "max");
        var maxUsed = raw.Number("s2-watch", "maxUsed");
        var overruns = raw.Number("s2-watch", "overruns");
        rows.Add(Check(S, "capacity overruns while storming (active+released > max)", Count(overruns),
            $"max seen {Count(maxUsed)} of {Count(capacity)} in {Count(raw.Number("s2-watch", "samples"))} samples", "", "0",
            overruns == 0 && maxUsed <= capacity && raw.Number("s2-watch", "samples") > 0));
        rows.Add(Info(S, "queue length reached (new visitors queued behind the 100)", Count(raw.Number("s2-watch", "maxQueued")), "", ""));
        var finalUsed = raw.Number("s2-final", "maxUsed");
        rows.Add(Check(S, "active+released after the storm", Count(finalUsed), $"capacity {Count(raw.Number("s2-final", "max"))}", "", "≤ capacity",
            finalUsed is not null && finalUsed <= raw.Number("s2-final", "max")));
        var bad = raw.Total("s2-storm", "non_2xx_3xx");
        var socket = raw.Total("s2-storm", "socket_errors");
        rows.Add(Check(S, "non-2xx/3xx responses", Count(bad), $"of {Count(raw.Total("s2-storm", "requests"))} requests", "", "0", bad == 0));
        rows.Add(Check(S, "socket errors (connect/read/write/timeout)", Count(socket), "", "", "0", socket == 0));
        AddOtherLoad(raw, rows, S, ["s2-storm"]);
    }

    private static void AddCrowd(RawResults raw, List<ReportRow> rows)
    {
        const string S = "S3 waiting crowd";
        var sizes = raw.Files.Keys
            .Select(k => k.Split('.')[0].Split('-'))
            .Where(p => p.Length == 3 && p[0] == "s3" && p[2] == "wrk" && long.TryParse(p[1], Invariant, out _))
            .Select(p => long.Parse(p[1], Invariant))
            .Distinct()
            .Order()
            .ToList();
        if (sizes.Count == 0)
        {
            rows.Add(Check(S, "status polls", "missing", "", "", "", false));
            return;
        }

        var smallest = sizes[0];
        var baseRate = raw.Number($"s3-{smallest}-wrk", "rps");
        var rounds = raw.Rounds($"s3-{smallest}-wrk");
        var of = rounds > 1 ? $" (median of {rounds} rounds)" : "";
        foreach (var n in sizes)
        {
            var wrk = $"s3-{n}-wrk";
            var rate = raw.Number(wrk, "rps");
            var label = $"{Count(n)} waiting: /_wr/status polls/s" + of;
            rows.Add(n == smallest
                ? Info(S, label, Rate(rate), "", "")
                : Check(S, label, Rate(rate), $"{Count(smallest)} waiting {Rate(baseRate)}", Ratio(rate, baseRate), "≥ 0.90", AtLeast(Divide(rate, baseRate), 0.90)));
            rows.Add(Info(S, $"{Count(n)} waiting: p50 / p99 latency", $"{Ms(raw.Number(wrk, "p50_ms"))} / {Ms(raw.Number(wrk, "p99_ms"))} ms",
                raw.Rounds(wrk) > 1 ? $"req/s {Rate(raw.Min(wrk, "rps"))}–{Rate(raw.Max(wrk, "rps"))} over {raw.Rounds(wrk)} rounds" : "", ""));

            var before = raw.Number($"s3-{n}-memory", "before");
            var after = raw.Number($"s3-{n}-memory", "after");
            var perVisitor = before is null || after is null ? (double?)null : (after.Value - before.Value) / n;
            var memoryLabel = $"{Count(n)} waiting: Redis used_memory per waiting visitor";
            var memoryValue = perVisitor is null ? "missing" : $"{perVisitor.Value.ToString("0", Invariant)} B";
            var memoryBase = $"{Mib(before)} → {Mib(after)} MiB";
            rows.Add(n >= 100_000
                ? Check(S, memoryLabel, memoryValue, memoryBase, "", "≤ 200 B", AtMost(perVisitor, 200))
                : Info(S, memoryLabel, memoryValue, memoryBase, ""));

            var state = raw.Text($"s3-{n}-check", "state");
            var bad = raw.Total(wrk, "non_2xx_3xx") + raw.Total(wrk, "socket_errors");
            rows.Add(Check(S, $"{Count(n)} waiting: sampled visitor's state; errors", $"{state ?? "missing"}; {Count(bad)}",
                $"positions {Count(raw.Number($"s3-{n}-fill", "firstPosition"))}…{Count(raw.Number($"s3-{n}-fill", "lastPosition"))} ({Count(raw.Number($"s3-{n}-fill", "tokens"))} cookies)",
                "", "queued; 0", state == "queued" && bad == 0));
            rows.Add(Info(S, $"{Count(n)} waiting: fill through the store (setup)", $"{Seconds(raw.Number($"s3-{n}-fill", "seconds"))} s",
                $"{Rate(raw.Number($"s3-{n}-fill", "admitsPerSecond"))} admissions/s", ""));
        }

        AddOtherLoad(raw, rows, S, [.. sizes.Select(n => $"s3-{n}-wrk")]);
    }

    /// <summary>
    /// The share of the machine that processes outside the benchmark used while it measured (run.sh
    /// records it per load run): the machine is shared, and a busy neighbour moves every figure.
    /// </summary>
    private static void AddOtherLoad(RawResults raw, List<ReportRow> rows, string scenario, string[] runs)
    {
        var values = runs.Where(raw.Has).SelectMany(r => new[] { raw.Min(r, "other_cpu_pct"), raw.Max(r, "other_cpu_pct") }).OfType<double>().ToList();
        if (values.Count > 0)
        {
            var low = values.Min().ToString("0", Invariant);
            var high = values.Max().ToString("0", Invariant);
            rows.Add(Info(scenario, "CPU used by other processes during the load runs (share of all cores)",
                low == high ? $"{low} %" : $"{low}–{high} %", "", ""));
        }
    }

    private static void AddPromotion(RawResults raw, List<ReportRow> rows)
    {
        const string S = "S4 promotion";
        var interval = raw.Number("meta", "releaseIntervalSeconds") ?? 2;
        var seconds = raw.Number("s4-promotion", "seconds");
        var count = raw.Number("s4-promotion", "count");
        rows.Add(Check(S, $"{Count(count)} places freed at once → {Count(count)} released", seconds is null ? "timed out" : $"{Seconds(seconds)} s",
            $"WR_RELEASE_INTERVAL {Seconds(interval)} s", Ratio(seconds, interval), $"< {Seconds(interval + 1)} s", seconds < interval + 1) with
        {
            Score = seconds is > 0 ? (interval + 1) / seconds.Value : null,
            Measured = seconds is null ? "timed out" : $"{Seconds(seconds)} s",
        });
        rows.Add(Info(S, "queue before → after", $"{Count(raw.Number("s4-promotion", "queuedBefore"))} → {Count(raw.Number("s4-promotion", "queuedAfter"))}",
            $"active after {Count(raw.Number("s4-promotion", "activeAfter"))}", ""));
    }

    private static ReportRow Info(string scenario, string measure, string value, string baseline, string ratio) =>
        new(scenario, measure, value, baseline, ratio, "", null);

    private static ReportRow Check(string scenario, string measure, string value, string baseline, string ratio, string target, (bool Pass, double? Score) check) =>
        new(scenario, measure, value, baseline, ratio, target, check.Pass) { Score = check.Score };

    private static ReportRow Check(string scenario, string measure, string value, string baseline, string ratio, string target, bool? pass) =>
        new(scenario, measure, value, baseline, ratio, target, pass ?? false);

    private static (bool, double?) AtLeast(double? value, double target) =>
        value is null ? (false, null) : (value >= target, value / target);

    private static (bool, double?) AtMost(double? value, double target) =>
        value is null ? (false, null) : (value <= target, value <= 0 ? double.PositiveInfinity : target / value);

    private static double? Divide(double? a, double? b) => a is null || b is null || b == 0 ? null : a / b;

    private static double? Minus(double? a, double? b) => a - b;

    private static double? Sum(RawResults raw, string[] files, string name) =>
        files.Aggregate((double?)0, (sum, file) => sum + raw.Total(file, name));

    private static string Ratio(double? a, double? b) => Ratio(Divide(a, b));

    private static string Ratio(double? ratio) => ratio?.ToString("0.00", Invariant) ?? "";

    /// <summary>a ÷ b of one field: the median of the rounds' own ratios when both ran in rounds, else the ratio of the two runs.</summary>
    private static double? Paired(RawResults raw, string a, string b, string field) =>
        raw.Rounds(a) > 1 && raw.PairedRatio(a, b, field) is { } ratio ? ratio : Divide(raw.Number(a, field), raw.Number(b, field));

    private static string Rate(double? value) => value?.ToString("N0", Invariant) ?? "missing";

    private static string Count(double? value) => value?.ToString("N0", Invariant) ?? "missing";

    private static string Us(double? value) => value is null ? "?" : $"{value.Value.ToString("0.0", Invariant)} µs";

    private static string Ms(double? value) => value?.ToString("0.00", Invariant) ?? "?";

    private static string Seconds(double? value) => value?.ToString("0.00", Invariant) ?? "?";

    private static string Mib(double? bytes) => bytes is null ? "?" : (bytes.Value / 1048576).ToString("0.0", Invariant);

    private static string Markdown(string title, List<ReportRow> rows)
    {
        var text = new StringBuilder();
        text.Append(Invariant, $"### {title}\n\n");
        text.Append("| Scenario | Measure | Value | Baseline | Ratio | Target | Result |\n");
        text.Append("| --- | --- | ---: | --- | ---: | --- | --- |\n");
        foreach (var row in rows)
        {
            text.Append(Invariant, $"| {row.Scenario} | {row.Measure} | {row.Value} | {row.Baseline} | {row.Ratio} | {row.Target} | {row.Result} |\n");
        }

        var failed = rows.Count(r => r.Pass == false);
        text.Append(Invariant, $"\n{rows.Count(r => r.Pass == true)} passed, {failed} failed ({rows.Count(r => r.Pass is null)} figures for information)\n");
        return text.ToString();
    }

    private static string Json(RawResults raw, List<ReportRow> rows)
    {
        var rawNode = new JsonObject();
        foreach (var (name, node) in raw.Files)
        {
            rawNode[name] = node.DeepClone();
        }

        var document = new JsonObject
        {
            ["meta"] = raw.Files.TryGetValue("meta", out var meta) ? meta.DeepClone() : null,
            ["rows"] = new JsonArray([.. rows.Select(r => (JsonNode)new JsonObject
            {
                ["scenario"] = r.Scenario,
                ["measure"] = r.Measure,
                ["value"] = r.Value,
                ["baseline"] = r.Baseline,
                ["ratio"] = r.Ratio,
                ["target"] = r.Target,
                ["result"] = r.Result,
            })]),
            ["raw"] = rawNode,
        };
        return document.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }
}
