using Microsoft.Extensions.Logging;

namespace HashForum.Storage.Internal;

/// <summary>
/// Every log line of the storage area, with stable event ids (4000-4099). The Redis configuration string can hold a
/// password, so only endpoints are ever logged.
/// </summary>
internal static partial class StorageLog
{
    [LoggerMessage(4001, LogLevel.Information, "Record store: connecting to {Endpoints} (embedded: {Embedded})")]
    public static partial void Connecting(ILogger logger, string endpoints, bool embedded);

    [LoggerMessage(4002, LogLevel.Warning, "Record store holds {Stored} partitions, configuration says {Configured}; the stored count is used")]
    public static partial void PartitionMismatch(ILogger logger, int stored, int configured);

    [LoggerMessage(4003, LogLevel.Warning, "Record store connection failed ({FailureType}) at {Endpoint}")]
    public static partial void ConnectionFailed(ILogger logger, string failureType, string? endpoint);

    [LoggerMessage(4004, LogLevel.Information, "Record store connection restored at {Endpoint}")]
    public static partial void ConnectionRestored(ILogger logger, string? endpoint);

    [LoggerMessage(4010, LogLevel.Information, "Change feed: loading active records")]
    public static partial void LoadStarted(ILogger logger);

    [LoggerMessage(4011, LogLevel.Information, "Change feed: loaded {Count} active records in {ElapsedMs} ms")]
    public static partial void LoadCompleted(ILogger logger, long count, long elapsedMs);

    [LoggerMessage(4012, LogLevel.Warning, "Change feed: fell behind the trimmed log or the store went back in time; reloading")]
    public static partial void ReloadRequired(ILogger logger);

    [LoggerMessage(4013, LogLevel.Warning, "Change feed: store unavailable, retrying in {DelayMs} ms")]
    public static partial void FollowFailed(ILogger logger, Exception exception, long delayMs);

    [LoggerMessage(4014, LogLevel.Information, "Change feed: store reachable again, catching up")]
    public static partial void FollowResumed(ILogger logger);

    [LoggerMessage(4015, LogLevel.Error, "Change feed: applying changes failed; reloading")]
    public static partial void SinkFailed(ILogger logger, Exception exception);

    [LoggerMessage(4016, LogLevel.Critical, "Change feed: the record store cannot be read, nothing is loaded until it is migrated: {Reason}")]
    public static partial void StoreUnreadable(ILogger logger, string reason);
}
