namespace HashForum.Storage;

/// <summary>
/// The store (Redis or the embedded Garnet) cannot be reached. Writes fail fast with this; lookups keep being answered
/// from memory, and the change-feed follower reconnects and catches up by itself when the store returns.
/// </summary>
public sealed class StoreUnavailableException : Exception
{
    public StoreUnavailableException()
        : base("The record store is unavailable.")
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
