using Google.Protobuf.WellKnownTypes;
using HashForum.Membership;
using V1 = HashForum.Contracts.V1;

namespace HashForum.Server.Services;

/// <summary>Membership types to and from their wire messages.</summary>
internal static class ProtoMapping
{
    public static V1.Member ToProto(this Member member) => new()
    {
        Id = member.Id,
        Name = member.Name,
        Contact = member.Contact,
        Kind = member.Kind.ToProto(),
        Status = member.Status == MemberStatus.Active ? V1.MemberStatus.Active : V1.MemberStatus.Suspended,
        Created = Timestamp.FromDateTimeOffset(member.Created),
        RateLimit = member.RatePerSecond > 0 || member.Burst > 0
            ? new V1.RateLimit { RequestsPerSecond = member.RatePerSecond, Burst = member.Burst }
            : null,
    };

    public static V1.MemberKind ToProto(this MemberKind kind) =>
        kind == MemberKind.Operator ? V1.MemberKind.Operator : V1.MemberKind.Member;

    public static MemberKind FromProto(V1.MemberKind kind) => kind switch
    {
        V1.MemberKind.Unspecified or V1.MemberKind.Member => MemberKind.Member,
        V1.MemberKind.Operator => MemberKind.Operator,
        _ => throw new ArgumentException($"Unknown member kind {(int)kind}; use MEMBER_KIND_MEMBER or MEMBER_KIND_OPERATOR."),
    };

    public static V1.KeyInfo ToProto(this ApiKeyRecord key)
    {
        var info = new V1.KeyInfo
        {
            Id = key.Id,
            MemberId = key.MemberId,
            Created = Timestamp.FromDateTimeOffset(key.Created),
            Expires = Time(key.Expires),
            LastUsed = Time(key.LastUsed),
            Revoked = Time(key.Revoked),
            Description = key.Description,
        };
        info.Scopes.AddRange(key.Scopes.ToNames());
        return info;
    }

    public static V1.IssuedKey ToProto(this IssuedApiKey issued) => new()
    {
        Id = issued.Record.Id,
        Key = issued.Key,
        Info = issued.Record.ToProto(),
    };

    public static V1.AuditEntry ToProto(this AuditRecord entry) => new()
    {
        Sequence = entry.Sequence,
        Time = Timestamp.FromDateTimeOffset(entry.Time),
        MemberId = entry.MemberId,
        KeyId = entry.KeyId,
        Method = entry.Method,
        Peer = entry.Peer,
        Outcome = entry.Outcome,
        Detail = entry.Detail,
    };

    public static DateTimeOffset? FromProto(Timestamp? time) => time is null ? null : time.ToDateTimeOffset();

    private static Timestamp? Time(DateTimeOffset? time) => time is { } t ? Timestamp.FromDateTimeOffset(t) : null;
}
