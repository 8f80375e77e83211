namespace HashForum.Storage;

/// <summary>
/// The store holds records in a layout this build does not read (written by an earlier build). Nothing is read or
/// written; the message says how to move the records over. The change-feed follower logs it as critical and keeps
/// retrying (so a store migrated in place is picked up), and calls fail with it instead of finding nothing.
/// </summary>
public sealed class StoreLayoutException : InvalidOperationException
{
    public StoreLayoutException()
        : base("The record store holds records in a layout this build does not read.")
    {
    }

    public StoreLayoutException(string message)
        : base(message)
    {
    }

    public StoreLayoutException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
