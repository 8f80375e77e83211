namespace HashForum.Storage;

/// <summary>
/// A Redis-protocol server the process hosts itself (the embedded Garnet), used when no Redis is configured.
/// Registered by <c>HashForum.Storage.Garnet</c>; the storage code reaches it like any Redis.
/// </summary>
public interface IEmbeddedStoreServer
{
    /// <summary>Starts the server if needed and returns a StackExchange.Redis configuration string for it.</summary>
    string EnsureStarted();
}
