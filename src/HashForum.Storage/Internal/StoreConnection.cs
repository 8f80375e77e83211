using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace HashForum.Storage.Internal;

/// <summary>
/// The one <see cref="ConnectionMultiplexer"/> of the process (StackExchange.Redis' own advice), configured to fail
/// fast: no backlog while disconnected (writes get a clear error at once instead of waiting), no abort at connect
/// (a server can start while Redis is down and catch up when it comes), quick reconnects.
/// </summary>
internal sealed class StoreConnection : IDisposable
{
    private StoreConnection(ConnectionMultiplexer multiplexer, string endpoints)
    {
        Multiplexer = multiplexer;
        Endpoints = endpoints;
    }

    public ConnectionMultiplexer Multiplexer { get; }

    /// <summary>The endpoints, for messages and logs (never the password).</summary>
    public string Endpoints { get; }

    public static StoreConnection Connect(
        HashForumStoreOptions options, IEmbeddedStoreServer? embedded, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        logger ??= NullLogger.Instance;
        var useEmbedded = options.UsesEmbeddedStore;
        string configuration;
        if (useEmbedded)
        {
            configuration = (embedded ?? throw new InvalidOperationException(
                "No Redis is configured (HASHFORUM_REDIS / HashForum:Store:Redis) and no embedded store is registered: " +
                "call AddHashForumStore from HashForum.Storage.Garnet, or set HASHFORUM_REDIS.")).EnsureStarted();
        }
        else
        {
            configuration = options.Redis!;
        }

        var config = ConfigurationOptions.Parse(configuration);
        config.AbortOnConnectFail = false;
        config.BacklogPolicy = BacklogPolicy.FailFast;
        config.ClientName ??= "hashforum";
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
        var endpoints = string.Join(",", config.EndPoints.Select(e => e.ToString()));
        StorageLog.Connecting(logger, endpoints, useEmbedded);
        var multiplexer = ConnectionMultiplexer.Connect(config);
        multiplexer.ConnectionFailed += (_, e) =>
            StorageLog.ConnectionFailed(logger, e.FailureType.ToString(), e.EndPoint?.ToString());
        multiplexer.ConnectionRestored += (_, e) => StorageLog.ConnectionRestored(logger, e.EndPoint?.ToString());
        return new StoreConnection(multiplexer, endpoints);
    }

    public void Dispose() => Multiplexer.Dispose();
}
