namespace HashForum.Membership;

/// <summary>
/// One audit entry: who (member and key id, never the key), what (method), from where (peer), and how it ended.
/// </summary>
public sealed record AuditRecord(
    long Sequence,
    DateTimeOffset Time,
    string MemberId,
    string KeyId,
    string Method,
    string Peer,
    string Outcome,
    string Detail);

/// <summary>
/// The audit log in the store: admin actions, contributions, retractions, feedback and authentication failures.
/// Capped at <see cref="MembershipOptions.AuditCapacity"/> entries.
/// </summary>
public interface IAuditLog
{
    /// <summary>Appends an entry (its sequence and time are assigned here) and returns its sequence.</summary>
    Task<long> WriteAsync(
        string memberId, string keyId, string method, string peer, string outcome, string detail, CancellationToken cancellationToken = default);

    /// <summary>
    /// Entries newest first: at most <paramref name="limit"/>, only those below sequence <paramref name="before"/>
    /// (0 = from the newest) and, if given, only those of <paramref name="memberId"/>.
    /// </summary>
    Task<IReadOnlyList<AuditRecord>> ReadAsync(
        int limit, long before = 0, string? memberId = null, CancellationToken cancellationToken = default);
}
