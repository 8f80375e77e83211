namespace HashForum.Server.Internal;

/// <summary>
/// Every log line of the server area, event ids 6000-6099. Callers are named by member and key id, never by key; the
/// pepper and Redis passwords never reach a log line.
/// </summary>
internal static partial class ServerLog
{
    [LoggerMessage(6001, LogLevel.Information, "Authentication failed for {Method} from {Peer}: {Outcome} (key id {KeyId})")]
    public static partial void AuthenticationFailed(ILogger logger, string method, string peer, string outcome, string? keyId);

    [LoggerMessage(6002, LogLevel.Information, "Permission denied for {Method}: member {MemberId}, key id {KeyId}: {Reason}")]
    public static partial void PermissionDenied(ILogger logger, string method, string memberId, string keyId, string reason);

    [LoggerMessage(6003, LogLevel.Information, "Rate limit hit by member {MemberId} (key id {KeyId}) on {Method}")]
    public static partial void RateLimited(ILogger logger, string memberId, string keyId, string method);

    [LoggerMessage(6004, LogLevel.Error, "Unhandled error in {Method} (reference {Reference})")]
    public static partial void UnhandledError(ILogger logger, string method, string reference, Exception exception);

    [LoggerMessage(6005, LogLevel.Warning, "Store unavailable during {Method}")]
    public static partial void StoreUnavailable(ILogger logger, string method, Exception exception);

    [LoggerMessage(6006, LogLevel.Information, "Index loaded: {Count} PDQ hashes; the server reports SERVING")]
    public static partial void IndexLoaded(ILogger logger, int count);

    [LoggerMessage(6007, LogLevel.Error, "Method {Method} declares no scope; refused (add [RequiresScope] to it)")]
    public static partial void MethodWithoutScope(ILogger logger, string method);

    [LoggerMessage(6008, LogLevel.Information, "Admin: {Method} by {MemberId} (key id {KeyId}): {Detail}")]
    public static partial void AdminAction(ILogger logger, string method, string memberId, string keyId, string detail);

    [LoggerMessage(6009, LogLevel.Warning, "Membership start-up checks failed (store unavailable?); they are skipped")]
    public static partial void MembershipStartFailed(ILogger logger, Exception exception);

    [LoggerMessage(6010, LogLevel.Information, "Embedded store endpoint written to {Path} (for 'bootstrap' while the server runs)")]
    public static partial void EndpointFileWritten(ILogger logger, string path);

    [LoggerMessage(6011, LogLevel.Warning, "Compressed requests are decompressed up to {Limit} bytes per message (HashForum:Server:Compression = Decompress)")]
    public static partial void DecompressionEnabled(ILogger logger, int limit);

    [LoggerMessage(6040, LogLevel.Information, "Index rebuilt in one go after single adds: {Count} hashes in {Seconds:F1} s")]
    public static partial void IndexRebuilt(ILogger logger, int count, double seconds);

    [LoggerMessage(6041, LogLevel.Warning, "Index rebuild skipped: not enough memory for a second copy")]
    public static partial void IndexRebuildFailed(ILogger logger, Exception exception);
}
