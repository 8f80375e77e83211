using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace HashForum.Storage.Internal;

/// <summary>
/// The one <see cref="ConnectionMultiplexer"/> of the process (StackExchange.Redis' own advice), set up by
/// <see cref="StoreConnectionSettings"/> to fail fast.
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
        var config = StoreConnectionSettings.Create(options, embedded, "hashforum");
        var endpoints = string.Join(",", config.EndPoints.Select(e => e.ToString()));
        StorageLog.Connecting(logger, endpoints, options.UsesEmbeddedStore);
        var multiplexer = ConnectionMultiplexer.Connect(config);
        multiplexer.ConnectionFailed += (_, e) =>
            StorageLog.ConnectionFailed(logger, e.FailureType.ToString(), e.EndPoint?.ToString());
        multiplexer.ConnectionRestored += (_, e) => StorageLog.ConnectionRestored(logger, e.EndPoint?.ToString());
        return new StoreConnection(multiplexer, endpoints);
    }

    public void Dispose() => Multiplexer.Dispose();
}
