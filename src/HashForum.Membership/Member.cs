namespace HashForum.Membership;

/// <summary>A member organisation or a forum operator.</summary>
public enum MemberKind
{
    /// <summary>A member organisation.</summary>
    Member = 1,

    /// <summary>A forum operator: may hold admin keys.</summary>
    Operator = 2,
}

/// <summary>Whether a member's keys work.</summary>
public enum MemberStatus
{
    Active = 1,

    /// <summary>Every key of the member is refused with PermissionDenied.</summary>
    Suspended = 2,
}

/// <summary>A member (organisation) or operator, as stored.</summary>
public sealed record Member(
    string Id,
    string Name,
    string Contact,
    MemberKind Kind,
    MemberStatus Status,
    DateTimeOffset Created,
    double RatePerSecond,
    int Burst);

/// <summary>An API key's metadata, as stored: never the key, only its HMAC.</summary>
public sealed record ApiKeyRecord(
    string Id,
    string MemberId,
    Scopes Scopes,
    DateTimeOffset Created,
    DateTimeOffset? Expires,
    DateTimeOffset? LastUsed,
    DateTimeOffset? Revoked,
    string Description,
    byte[] Hmac)
{
    /// <summary>True when the key is revoked or past its expiry at <paramref name="now"/>.</summary>
    public bool IsUsableAt(DateTimeOffset now) => Revoked is null && (Expires is null || Expires > now);
}

/// <summary>A key just issued: the key itself exists only here.</summary>
public sealed record IssuedApiKey(string Key, ApiKeyRecord Record);

/// <summary>No member, or no key, with the given id.</summary>
public sealed class MembershipNotFoundException : Exception
{
    public MembershipNotFoundException()
        : base("Not found.")
    {
    }

    public MembershipNotFoundException(string message)
        : base(message)
    {
    }

    public MembershipNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
