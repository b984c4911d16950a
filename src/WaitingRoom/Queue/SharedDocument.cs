namespace WaitingRoom.Queue;

/// <summary>
/// One change of a shared document (<see cref="IWaitingRoomStore.GetDocumentAsync"/>): read it,
/// work out the new text, store it by compare-and-set, and start again when another writer got in
/// between, so concurrent administrators on any instance never lose a change.
/// </summary>
internal static class SharedDocument
{
    /// <summary>Rounds before giving up when other writers keep getting in between.</summary>
    private const int MaxAttempts = 10;

    /// <param name="store">The shared store.</param>
    /// <param name="name">The document's name.</param>
    /// <param name="change">From the stored text (null = none stored): the outcome, and the text to store, or null to store nothing (a refused change).</param>
    /// <param name="cancellationToken">The request's abort token.</param>
    /// <returns>The outcome and the text stored (null when the change stored nothing); null when every attempt lost to another writer.</returns>
    public static async Task<(T Outcome, string? Stored)?> ChangeAsync<T>(
        IWaitingRoomStore store, string name, Func<string?, (T Outcome, string? After)> change, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var current = await store.GetDocumentAsync(name, cancellationToken);
            var (outcome, after) = change(current);
            if (after is null || await store.TrySetDocumentAsync(name, current, after, cancellationToken))
            {
                return (outcome, after);
            }
        }

        return null;
    }
}
