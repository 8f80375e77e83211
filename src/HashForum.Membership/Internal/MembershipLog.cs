using Microsoft.Extensions.Logging;

namespace HashForum.Membership.Internal;

/// <summary>
/// Every log line of the membership area, event ids 5000-5099. Never a key, a pepper or a Redis password: keys are
/// named by their key id only.
/// </summary>
internal static partial class MembershipLog
{
    [LoggerMessage(5001, LogLevel.Warning, "No pepper is configured (HASHFORUM_PEPPER): generated a new one in {Path}. Servers that share a store must share the pepper; set HASHFORUM_PEPPER in production")]
    public static partial void PepperGenerated(ILogger logger, string path);

    [LoggerMessage(5002, LogLevel.Warning, "No pepper is configured (HASHFORUM_PEPPER): using the development pepper in {Path}. Servers that share a store must share the pepper")]
    public static partial void PepperFromFile(ILogger logger, string path);

    [LoggerMessage(5003, LogLevel.Error, "This server's pepper differs from the one the store's keys were issued under: keys issued by other servers will be refused here. Give every server sharing the store the same HASHFORUM_PEPPER")]
    public static partial void PepperMismatch(ILogger logger);

    [LoggerMessage(5004, LogLevel.Warning, "Membership invalidation subscription failed; revocations reach this server through cache expiry only")]
    public static partial void SubscribeFailed(ILogger logger, Exception exception);

    [LoggerMessage(5005, LogLevel.Warning, "Could not write an audit entry for {Method} ({Outcome})")]
    public static partial void AuditWriteFailed(ILogger logger, string method, string outcome, Exception exception);

    [LoggerMessage(5006, LogLevel.Warning, "{Count} authentication failures were not written to the audit log (over {PerSecond}/s)")]
    public static partial void AuditFailuresDropped(ILogger logger, long count, double perSecond);

    [LoggerMessage(5007, LogLevel.Information, "Membership store: connecting to {Endpoints} (embedded: {Embedded})")]
    public static partial void Connecting(ILogger logger, string endpoints, bool embedded);
}
