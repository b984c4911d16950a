using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using WaitingRoom.Admission;
using WaitingRoom.Queue;
using WaitingRoom.Rooms;

namespace WaitingRoom.Codes;

/// <summary>
/// One redemption, from a link (<c>?wr_code=</c>) or the queue page's form: the guess limit first, then the
/// visitor's cookie (issued when missing, as the room would), then ONE atomic step of the store.
/// </summary>
internal sealed partial class AccessCodeRedeemer(
    IWaitingRoomStore store,
    VisitorTokenSigner signer,
    CodeGuessLimiter limiter,
    TimeProvider time,
    Operations.WaitingRoomMetrics metrics,
    ILogger<AccessCodeRedeemer> logger)
{
    // On the room's meter, so /_wr/metrics shows it as wr_code_redemptions_total{room,outcome}.
    private readonly System.Diagnostics.Metrics.Counter<long> _redemptions = metrics.Meter.CreateCounter<long>(
        "wr_code_redemptions", description: "Access code attempts on this instance by outcome (accepted, already-redeemed, not-needed, invalid, revoked, expired, used-up, too-many-attempts).");

    /// <summary>The outcome and, when the address is past its wrong guesses, the seconds to wait (the outcome is then null).</summary>
    public async Task<(CodeRedemption? Outcome, int RetryAfterSeconds)> RedeemAsync(HttpContext context, RoomSettings room, string? text)
    {
        var client = ClientAddress.KeyOf(context.Connection.RemoteIpAddress) ?? "-";
        if (!limiter.MayTry(client, out var wait))
        {
            Count(room, null);
            return (null, wait);
        }

        var aborted = context.RequestAborted;
        await signer.EnsureReadyAsync(aborted);
        if (!signer.TryRead(context.Request, out var visitorId))
        {
            visitorId = signer.IssueCookie(context);
        }

        var outcome = AccessCodeFormat.TryParse(text, out var id, out var code)
            ? await store.RedeemCodeAsync(room.PolicyAt(time.GetUtcNow()), id, AccessCodeFormat.Hash(room.Name, code), visitorId, aborted)
            : CodeRedemption.Invalid;
        if (outcome == CodeRedemption.Invalid && !limiter.CountWrong(client, out wait))
        {
            // Logged when the limit trips: later attempts this minute stop at MayTry, so about once per address and minute.
            LogGuessesLimited(logger, CodeGuessLimiter.WrongPerMinute, client, room.Name, wait);
            Count(room, null);
            return (null, wait);
        }

        if (id.Length > 0)
        {
            var tag = VisitorTokenSigner.LogTag(visitorId);
            LogRedeemed(logger, id, room.Name, tag, outcome);
        }

        if (outcome is CodeRedemption.Accepted or CodeRedemption.AlreadyRedeemed)
        {
            // The visitor now waits in a code lane, not at its ticket: its next polls must ask the store, not a snapshot.
            signer.ForgetPlace(context);
        }

        Count(room, outcome);
        return (outcome, 0);
    }

    private void Count(RoomSettings room, CodeRedemption? outcome) => _redemptions.Add(
        1,
        new KeyValuePair<string, object?>("room", room.Name),
        new KeyValuePair<string, object?>("outcome", outcome switch
        {
            CodeRedemption.AlreadyRedeemed => "already-redeemed",
            CodeRedemption.NotNeeded => "not-needed",
            _ => AccessCodeResponses.Describe(outcome).Name,
        }));
}
