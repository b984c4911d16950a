using Microsoft.AspNetCore.Http;
using WaitingRoom.Operations;
using WaitingRoom.Queue;

namespace WaitingRoom.Admission;

/// <summary>
/// Answers the polls (status and queue page) of waiters far from the head without the store: a waiter's place
/// cookie carries its ticket and the position it was last shown, the room's snapshot the head, so any instance
/// gives it an upper bound of its place, never more than it was shown before. Near the head (at or below the
/// snapshot's near mark), and whenever the waiter may have left the line, the store answers exactly. The store's
/// work then follows the promotion rate and the number of instances, not the length of the queue.
/// </summary>
internal sealed class QueuePlaces(VisitorTokenSigner signer, QueueSnapshots snapshots, WaitingRoomMetrics metrics)
{
    /// <summary>The waiter's place as its cookie says, or null (none, another room's, or one that does not check out).</summary>
    public Place? Read(HttpRequest request, string visitorId, string room) =>
        signer.TryReadPlace(request, visitorId, room, out var order, out var shown) ? new Place(order, shown) : null;

    /// <summary>
    /// The answer for a waiter far from the head, from the snapshot alone; false when the store must answer (no place,
    /// no fresh snapshot, near the head or past it, or a mode whose positions a snapshot cannot bound).
    /// </summary>
    public bool TryAnswer(RoomPolicy policy, Place? place, out AdmissionResult result)
    {
        // FIFO, queue-all and reject keep the line's order; random draws from all of it and passthrough lets everyone in.
        if (place is not { } known || policy.Mode is QueueMode.Random or QueueMode.Passthrough
            || !snapshots.TryGet(policy, out var snapshot) || !snapshot.IsFar(known.Order))
        {
            result = default;
            return false;
        }

        var position = Math.Max(1, Math.Min(snapshot.PositionBound(known.Order), known.Shown));
        result = new AdmissionResult(VisitorState.Queued, position, Math.Max(snapshot.QueueLength, position)) { Order = known.Order };
        return true;
    }

    /// <summary>Keeps the waiter's place cookie in step with the answer it gets; forgets it once the visitor no longer waits with a ticket.</summary>
    public void Remember(HttpContext context, string visitorId, string room, Place? place, AdmissionResult result, bool byInstance)
    {
        if (result.State == VisitorState.Queued)
        {
            metrics.Polled(room, byInstance);
        }

        if (result.State == VisitorState.Queued && result.Order >= 1)
        {
            if (place != new Place(result.Order, result.Position))
            {
                signer.IssuePlace(context, visitorId, room, result.Order, result.Position);
            }
        }
        else if (place is not null)
        {
            signer.ForgetPlace(context);
        }
    }

    /// <param name="Order">The waiter's ticket.</param>
    /// <param name="Shown">The position it was last shown.</param>
    public readonly record struct Place(long Order, long Shown);
}
