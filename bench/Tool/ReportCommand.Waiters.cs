namespace WaitingRoom.Bench;

/// <summary>The rows of S5 (ten million waiters): what a far-back waiter's poll costs Redis, at each size and over a cluster.</summary>
internal static partial class ReportCommand
{
    private static void AddWaiters(RawResults raw, List<ReportRow> rows)
    {
        const string S = "S5 ten million waiters";
        var sizes = raw.Files.Keys
            .Select(k => k.Split('.')[0].Split('-'))
            .Where(p => p.Length == 3 && p[0] == "s5" && p[2] == "far" && long.TryParse(p[1], Invariant, out _))
            .Select(p => long.Parse(p[1], Invariant))
            .Distinct()
            .Order()
            .ToList();
        if (sizes.Count == 0)
        {
            rows.Add(Check(S, "far-back polls", "missing", "", "", "", false));
            return;
        }

        var smallest = sizes[0];
        var largest = sizes[^1];
        var rounds = raw.Rounds($"s5-{smallest}-far");
        var of = rounds > 1 ? $" (median of {rounds} rounds)" : "";
        var baseRate = raw.Number($"s5-{smallest}-far", "rps");
        var baseCommands = PerThousand(raw, $"s5-{smallest}-far-redis", "commands");
        foreach (var n in sizes)
        {
            var far = $"s5-{n}-far";
            var rate = raw.Number(far, "rps");
            var label = $"{Count(n)} waiting: far-back /_wr/status polls/s, every cookie kept" + of;
            rows.Add(n == smallest
                ? Info(S, label, Rate(rate), "", "")
                : Check(S, label, Rate(rate), $"{Count(smallest)} waiting {Rate(baseRate)}", Ratio(rate, baseRate), "≥ 0.90", AtLeast(Divide(rate, baseRate), 0.90)));

            var commands = PerThousand(raw, $"{far}-redis", "commands");
            var commandsLabel = $"{Count(n)} waiting: Redis commands per 1,000 far-back polls" + of;
            var commandsBase = $"{Count(raw.Total($"{far}-redis", "commands"))} commands in {Count(raw.Total($"{far}-redis", "polls"))} polls";
            rows.Add(n == largest
                ? Check(S, commandsLabel, Fixed(commands), commandsBase, n == smallest ? "" : Ratio(commands, baseCommands), "≤ 10", AtMost(commands, 10))
                : Info(S, commandsLabel, Fixed(commands), commandsBase, n == smallest ? "" : Ratio(commands, baseCommands)));
            rows.Add(Info(S, $"{Count(n)} waiting: Redis CPU per 1,000 far-back polls" + of, $"{Fixed(PerThousand(raw, $"{far}-redis", "cpu_us"))} µs", "", ""));

            var store = $"s5-{n}-store-redis";
            if (raw.Has(store))
            {
                rows.Add(Info(S, $"{Count(n)} waiting: the same polls without the place cookie (each one a script): commands / Redis CPU per 1,000",
                    $"{Fixed(PerThousand(raw, store, "commands"))} / {Fixed(PerThousand(raw, store, "cpu_us"))} µs",
                    $"{Rate(raw.Number($"s5-{n}-store", "rps"))} polls/s", ""));
            }

            if (raw.Has($"s5-{n}-answers"))
            {
                rows.Add(Info(S, $"{Count(n)} waiting: polls answered by the instance / by Redis (wr_polls_total)",
                    $"{Count(raw.Number($"s5-{n}-answers", "instance"))} / {Count(raw.Number($"s5-{n}-answers", "store"))}",
                    $"{Count(raw.Number($"s5-{n}-prime", "withPlace"))} of {Count(raw.Number($"s5-{n}-prime", "waiters"))} pollers hold a place cookie", ""));
            }

            var before = raw.Number($"s5-{n}-memory", "before");
            var after = raw.Number($"s5-{n}-memory", "after");
            var perWaiter = before is null || after is null ? (double?)null : (after.Value - before.Value) / n;
            var memoryLabel = $"{Count(n)} waiting: Redis used_memory per waiter";
            var memoryValue = perWaiter is null ? "missing" : $"{perWaiter.Value.ToString("0", Invariant)} B";
            rows.Add(n == largest
                ? Check(S, memoryLabel, memoryValue, $"{Mib(before)} → {Mib(after)} MiB", "", "≤ 140 B", AtMost(perWaiter, 140))
                : Info(S, memoryLabel, memoryValue, $"{Mib(before)} → {Mib(after)} MiB", ""));
            rows.Add(Info(S, $"{Count(n)} waiting: fill through the store (setup)", $"{Seconds(raw.Number($"s5-{n}-fill", "seconds"))} s",
                $"{Rate(raw.Number($"s5-{n}-fill", "admitsPerSecond"))} admissions/s", ""));

            var interval = raw.Number("meta", "releaseIntervalSeconds") ?? 2;
            var seconds = raw.Number($"s5-{n}-promotion", "seconds");
            rows.Add(Check(S, $"{Count(n)} waiting: {Count(raw.Number($"s5-{n}-promotion", "count"))} places freed at once → all released",
                seconds is null ? "timed out" : $"{Seconds(seconds)} s", $"WR_RELEASE_INTERVAL {Seconds(interval)} s", Ratio(seconds, interval),
                $"< {Seconds(interval + 1)} s", seconds < interval + 1) with
            {
                Score = seconds is > 0 ? (interval + 1) / seconds.Value : null,
                Measured = seconds is null ? "timed out" : $"{Seconds(seconds)} s",
            });
        }

        if (raw.Has($"s5-{largest}-far-redis") && sizes.Count > 1)
        {
            var atLargest = PerThousand(raw, $"s5-{largest}-far-redis", "commands");
            var spread = Divide(atLargest, baseCommands);
            rows.Add(Check(S, $"commands per 1,000 far-back polls, {Count(largest)} against {Count(smallest)} waiting", Fixed(atLargest),
                $"{Count(smallest)} waiting {Fixed(baseCommands)}", Ratio(atLargest, baseCommands), "≤ 1.10 × (not growing)",
                spread is null ? (false, null) : (spread.Value <= 1.10 || atLargest!.Value - baseCommands!.Value < 0.5, null)));
        }

        AddEvent(raw, rows, S);
        AddOtherLoad(raw, rows, S, [.. sizes.Select(n => $"s5-{n}-far")]);
    }

    /// <summary>The event: per stage of filling, the commands per second of each cluster master while the crowd polls.</summary>
    private static void AddEvent(RawResults raw, List<ReportRow> rows, string scenario)
    {
        var stages = raw.Files.Where(f => f.Key.StartsWith("s5-event-stage.r", StringComparison.Ordinal))
            .Select(f => f.Value).OrderBy(v => (double?)v["stage"]).ToList();
        if (stages.Count == 0)
        {
            return;
        }

        static double[] PerMaster(System.Text.Json.Nodes.JsonNode stage, string window) =>
            [.. (stage[window]?.AsArray() ?? []).Select(m => (double)m!["commandsPerSecond"]!)];
        static string List(IEnumerable<double> values) => string.Join(" / ", values.Select(m => m.ToString("N0", Invariant)));

        foreach (var stage in stages)
        {
            var masters = PerMaster(stage, "masters");
            var cpu = stage["masters"]!.AsArray().Select(m => ((double)m!["cpuPct"]!).ToString("0.0", Invariant));
            var instance = (double?)stage["instanceAnswers"];
            var store = (double?)stage["storeAnswers"];
            var storeShare = instance + store is > 0 ? $"; {(store / (instance + store) * 100)!.Value.ToString("0", Invariant)} % of polls near the head (answered by Redis)" : "";
            rows.Add(Info(scenario, $"event, {Count((double?)stage["queued"])} waiting in 10 rooms: Redis commands/s of each master while {Count((double?)stage["pollers"])} waiters poll",
                List(masters),
                $"{Rate((double?)stage["polls"] / (double?)stage["seconds"])} polls/s; Redis CPU {string.Join(" / ", cpu)} %{storeShare}", ""));
            rows.Add(Info(scenario, $"event, {Count((double?)stage["queued"])} waiting: the same with nobody polling (promotion, snapshots, sweeps)",
                List(PerMaster(stage, "idle")), "", ""));
        }

        // Flat: no master works harder with the queue full than it did at the start (a quarter more allowed), both
        // with the crowd polling and with nobody polling. The first and the last third of the stages are averaged:
        // the rooms' promotions come in bursts, and a window catches one more or one less of them.
        var third = Math.Max(1, stages.Count / 3);
        foreach (var (window, what) in new[] { ("masters", "while the crowd polls"), ("idle", "with nobody polling") })
        {
            var first = Mean(stages.Take(third).Select(stage => PerMaster(stage, window)));
            var last = Mean(stages.TakeLast(third).Select(stage => PerMaster(stage, window)));
            if (first.Length == 0 || first.Length != last.Length)
            {
                continue;
            }

            var growth = first.Zip(last, (a, b) => a > 0 ? b / a : double.PositiveInfinity).Max();
            var span = third == 1 ? "" : $" (means of the first and the last {third} stages)";
            rows.Add(Check(scenario, $"event: commands/s of the busiest-growing master {what}, {Count((double?)stages[^1]["queued"])} against {Count((double?)stages[0]["queued"])} waiting{span}",
                growth.ToString("0.00", Invariant), $"{List(first)} → {List(last)}",
                growth.ToString("0.00", Invariant), "≤ 1.25 (flat)", AtMost(growth, 1.25)));
        }

        if (raw.Has("s5-event-answers"))
        {
            rows.Add(Info(scenario, "event: polls answered by the instance / by Redis; waiters promoted",
                $"{Count(raw.Number("s5-event-answers", "instance"))} / {Count(raw.Number("s5-event-answers", "store"))}",
                $"{Count(raw.Number("s5-event-promoted", "promoted"))} promoted", ""));
        }
    }

    // The median of the rounds' own ratios: the instance's background (snapshots, promotion rounds) comes in
    // steps of a script or two per second, so one round's count is not the next one's.
    private static double? PerThousand(RawResults raw, string name, string field) =>
        raw.MedianRatio(name, field, "polls") * 1000;

    private static double[] Mean(IEnumerable<double[]> perStage)
    {
        var stages = perStage.ToList();
        return stages.Count == 0 || stages.Any(s => s.Length != stages[0].Length)
            ? []
            : [.. Enumerable.Range(0, stages[0].Length).Select(i => stages.Average(s => s[i]))];
    }

    private static string Fixed(double? value) => value?.ToString("0.0", Invariant) ?? "missing";
}
