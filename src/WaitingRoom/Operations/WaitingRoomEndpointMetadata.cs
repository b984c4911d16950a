namespace WaitingRoom.Operations;

/// <summary>Marks the room's own endpoints: a <c>/_wr/</c> request that matched anything else is answered 404, never forwarded.</summary>
internal sealed class WaitingRoomEndpointMetadata
{
    public static readonly WaitingRoomEndpointMetadata Instance = new();
}
