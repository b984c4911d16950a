namespace WaitingRoom.Queue;

/// <summary>
/// The per-client newcomer cap counts in clock minutes (from the store's time, so every instance
/// and both stores agree on where a minute ends): a client's counter of one minute is its own key.
/// </summary>
internal static class ClientWindow
{
    private const long Minute = 60_000;

    /// <summary>The minute <paramref name="nowMilliseconds"/> falls in, and the milliseconds left in it (1 to 60,000).</summary>
    public static (long Window, long MillisecondsLeft) Of(long nowMilliseconds) =>
        (nowMilliseconds / Minute, Minute - (nowMilliseconds % Minute));
}
