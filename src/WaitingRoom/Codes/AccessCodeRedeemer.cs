using Microsoft.AspNetCore.Http;
using WaitingRoom.Admission;
using WaitingRoom.Queue;
using WaitingRoom.Rooms;

namespace WaitingRoom.Codes;

/// <summary>
/// One redemption, from a link (<c>?wr_code=</c>) or the queue page's form: the guess limit first, then the
/// visitor's cookie (issued when missing, as the room would), then ONE atomic step of the store.
/// </summary>
internal sealed class AccessCodeRedeemer(IWaitingRoomStore store, VisitorTokenSigner signer, CodeGuessLimiter limiter, TimeProvider time)
{
    /// <summary>The outcome and, when the address is past its wrong guesses, the seconds to wait (the outcome is then null).</summary>
    public async Task<(CodeRedemption? Outcome, int RetryAfterSeconds)> RedeemAsync(HttpContext context, RoomSettings room, string? text)
    {
        var client = ClientAddress.KeyOf(context.Connection.RemoteIpAddress) ?? "-";
        if (!limiter.MayTry(client, out var wait))
        {
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
            return (null, wait);
        }

        return (outcome, 0);
    }
}
