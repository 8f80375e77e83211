namespace HashForum.Membership;

/// <summary>
/// Members, operators and API keys in the store. Failures: <see cref="MembershipNotFoundException"/> for an unknown
/// id, <see cref="ArgumentException"/> for invalid input (the message says what to fix), and
/// <c>StoreUnavailableException</c> when the store cannot be reached.
/// </summary>
public interface IMembershipStore
{
    Task<Member> CreateMemberAsync(string name, string contact, MemberKind kind, CancellationToken cancellationToken = default);

    /// <summary>Creates the member with this fixed id if it does not exist yet; returns it either way.</summary>
    Task<Member> EnsureMemberAsync(string id, string name, MemberKind kind, CancellationToken cancellationToken = default);

    Task<Member?> GetMemberAsync(string id, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<Member>> ListMembersAsync(CancellationToken cancellationToken = default);

    Task<Member> SetStatusAsync(string id, MemberStatus status, CancellationToken cancellationToken = default);

    /// <summary>Sets a member's own rate limit; 0 for both goes back to the server default.</summary>
    Task<Member> SetRateLimitAsync(string id, double ratePerSecond, int burst, CancellationToken cancellationToken = default);

    /// <summary>Issues a key; only an operator's key may hold <see cref="Scopes.Admin"/>.</summary>
    Task<IssuedApiKey> IssueKeyAsync(
        string memberId, Scopes scopes, DateTimeOffset? expires, string description, CancellationToken cancellationToken = default);

    Task<ApiKeyRecord?> GetKeyAsync(string keyId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ApiKeyRecord>> ListKeysAsync(string memberId, CancellationToken cancellationToken = default);

    /// <summary>Revokes a key (idempotent: an already revoked key keeps its first revocation time).</summary>
    Task<ApiKeyRecord> RevokeKeyAsync(string keyId, CancellationToken cancellationToken = default);

    /// <summary>Brings a key's expiry forward to <paramref name="expires"/> (never pushes it back).</summary>
    Task<ApiKeyRecord> ExpireKeyAsync(string keyId, DateTimeOffset expires, CancellationToken cancellationToken = default);

    /// <summary>Records that a key was used (best effort).</summary>
    Task TouchKeyAsync(string keyId, DateTimeOffset time);

    /// <summary>
    /// Compares the pepper's fingerprint with the one stored when keys were first issued (storing it if none):
    /// false when this server's pepper differs, so its keys would not validate elsewhere.
    /// </summary>
    Task<bool> CheckPepperAsync(CancellationToken cancellationToken = default);
}
