namespace WaitingRoom.Adaptive;

/// <summary>
/// What one instance saw of a room's forwarded requests since the controller last used a window
/// (<see cref="ForwardingStats.Read"/>): how many succeeded and failed, the latency of those that
/// succeeded, the requests in flight now and the run of failures that ends the window.
/// </summary>
/// <param name="Succeeded">Requests the origin answered with a status below 500.</param>
/// <param name="Failed">Requests answered 5xx by the origin, or that failed in forwarding (refused, reset, timed out, no destination).</param>
/// <param name="P95">95th percentile latency of the succeeded requests (zero without any).</param>
/// <param name="InFlight">Requests of the room being forwarded by this instance now.</param>
/// <param name="FailingRun">Failures in a row since the last success, at the moment of reading.</param>
internal readonly record struct ForwardingWindow(long Succeeded, long Failed, TimeSpan P95, long InFlight, int FailingRun)
{
    public long Requests => Succeeded + Failed;

    /// <summary>Share of the requests that failed; 0 without requests.</summary>
    public double ErrorShare => Requests == 0 ? 0 : (double)Failed / Requests;
}
