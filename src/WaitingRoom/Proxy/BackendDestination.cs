namespace WaitingRoom.Proxy;

/// <summary>One backend destination as the operator set it: WR_BACKEND_URL, or the admin API.</summary>
/// <param name="Id">Stable name in YARP's cluster (d1, d2, ...); never reused after a removal.</param>
/// <param name="Address">Absolute http(s) URL.</param>
/// <param name="Disabled">Kept in the list but given no traffic.</param>
public sealed record BackendDestination(string Id, string Address, bool Disabled);
