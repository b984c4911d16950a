namespace WaitingRoom.Bench;

/// <summary>
/// One line of the results table. <see cref="Pass"/> is null for a figure shown for information.
/// <see cref="Score"/> places the measure on the chart: how far it is past its target, on one
/// scale for every target (1 = exactly on target, above 1 = better than the target), whichever
/// way the target points; null keeps the row off the chart.
/// </summary>
internal sealed record ReportRow(string Scenario, string Measure, string Value, string Baseline, string Ratio, string Target, bool? Pass)
{
    public double? Score { get; init; }

    /// <summary>The figure the target applies to, for the chart: the ratio when the target is one, else the value.</summary>
    public string Measured
    {
        get => _measured ?? (Ratio.Length > 0 ? Ratio : Value);
        init => _measured = value;
    }

    private readonly string? _measured;

    public string Result => Pass switch { true => "pass", false => "FAIL", null => "info" };
}
