namespace HashForum.Membership;

/// <summary>The authenticated caller of one request: a member (or operator) and the key it used.</summary>
public sealed record Caller(
    string MemberId,
    string MemberName,
    MemberKind Kind,
    string KeyId,
    Scopes Scopes,
    DateTimeOffset? Expires,
    double RatePerSecond,
    int Burst)
{
    /// <summary>True when the key holds <paramref name="scope"/>.</summary>
    public bool Has(Scopes scope) => (Scopes & scope) == scope;
}

/// <summary>How an authentication attempt ended.</summary>
public enum AuthOutcome
{
    Ok = 0,

    /// <summary>No <c>authorization: Bearer</c> metadata (Unauthenticated).</summary>
    Missing,

    /// <summary>Not a key: wrong shape or checksum; refused without a lookup (Unauthenticated).</summary>
    Malformed,

    /// <summary>No such key, or the secret does not match (another server's pepper) (Unauthenticated).</summary>
    Unknown,

    /// <summary>The key was revoked (Unauthenticated).</summary>
    Revoked,

    /// <summary>The key is past its expiry (Unauthenticated).</summary>
    Expired,

    /// <summary>The key is valid but its member is suspended (PermissionDenied).</summary>
    Suspended,
}

/// <summary>The result of checking a key: a caller, or an outcome and a message saying what to fix.</summary>
public readonly record struct AuthResult(AuthOutcome Outcome, Caller? Caller, string? KeyId, string? MemberId, string Message)
{
    public bool Succeeded => Outcome == AuthOutcome.Ok;
}
