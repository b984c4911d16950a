namespace WaitingRoom.Queue;

/// <summary>The store could not be reached or did not answer; WR_FAILURE_MODE decides what follows.</summary>
public sealed class StoreUnavailableException : Exception
{
    public StoreUnavailableException()
    {
    }

    public StoreUnavailableException(string message)
        : base(message)
    {
    }

    public StoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
