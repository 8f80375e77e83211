using StackExchange.Redis;

namespace HashForum.Storage;

/// <summary>
/// How every HashForum connection to the store is set up (the store's own and membership's, when it has its own):
/// fail fast, with no backlog while disconnected (a write gets a clear error at once instead of waiting); no abort
/// at connect (a server can start while Redis is down and catch up when it comes); quick reconnects; the
/// operation timeout as both timeouts unless the configuration string sets them.
/// </summary>
public static class StoreConnectionSettings
{
    /// <summary>The client configuration for the configured Redis, or for the embedded server (started here if need be).</summary>
    /// <exception cref="InvalidOperationException">No Redis is configured and no embedded store is registered.</exception>
    public static ConfigurationOptions Create(HashForumStoreOptions options, IEmbeddedStoreServer? embedded, string clientName)
    {
        ArgumentNullException.ThrowIfNull(options);
        var configuration = options.UsesEmbeddedStore
            ? (embedded ?? throw new InvalidOperationException(
                "No Redis is configured (HASHFORUM_REDIS / HashForum:Store:Redis) and no embedded store is registered: " +
                "call AddHashForumStore from HashForum.Storage.Garnet, or set HASHFORUM_REDIS.")).EnsureStarted()
            : options.Redis!;
        var config = ConfigurationOptions.Parse(configuration);
        config.AbortOnConnectFail = false;
        config.BacklogPolicy = BacklogPolicy.FailFast;
        config.ClientName ??= clientName;
        var timeoutMs = (int)options.OperationTimeout.TotalMilliseconds;
        if (!configuration.Contains("syncTimeout", StringComparison.OrdinalIgnoreCase))
        {
            config.SyncTimeout = timeoutMs;
        }

        if (!configuration.Contains("asyncTimeout", StringComparison.OrdinalIgnoreCase))
        {
            config.AsyncTimeout = timeoutMs;
        }

        config.ReconnectRetryPolicy ??= new LinearRetry(500);
        return config;
    }
}
