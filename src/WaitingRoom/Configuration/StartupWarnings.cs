namespace WaitingRoom.Configuration;

/// <summary>Configuration remarks found while reading the variables, logged once the logger exists.</summary>
internal sealed record StartupWarnings(IReadOnlyList<string> Lines);
