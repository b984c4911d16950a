namespace WaitingRoom.Operations;

/// <summary>
/// Marks the room's own endpoints under <c>/_wr/</c>. A <c>/_wr/</c> request that matched anything
/// else (the proxy's catch-all route) is answered 404 and never forwarded unchecked.
/// </summary>
internal sealed class WaitingRoomEndpointMetadata
{
    public static readonly WaitingRoomEndpointMetadata Instance = new();
}
