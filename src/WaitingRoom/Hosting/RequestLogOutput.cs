namespace WaitingRoom.Hosting;

/// <summary>
/// Where the request log's lines go: straight to the console writer when the logging pipeline is
/// the product's own (<paramref name="console"/> set), or through ILogger and Serilog when the
/// operator's Serilog configuration adds sinks, enrichers or filters that every line must pass.
/// </summary>
internal sealed class RequestLogOutput(BackgroundConsoleSink? console)
{
    /// <summary>The console writer to hand request lines to, or null to log them through ILogger.</summary>
    public BackgroundConsoleSink? Console { get; } = console;
}
