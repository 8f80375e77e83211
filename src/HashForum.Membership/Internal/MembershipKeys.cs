using StackExchange.Redis;

namespace HashForum.Membership.Internal;

/// <summary>
/// The membership key layout, under the store's <c>hf:v1:</c> prefix. Members and keys share the <c>{members}</c>
/// hash tag and the audit log has <c>{audit}</c>, so each multi-key operation stays in one Redis Cluster slot.
/// </summary>
/// <remarks>
/// <code>
/// hf:v1:{members}:all              zset    member id, score = created (unix ms)
/// hf:v1:{members}:m:ID             hash    name, contact, kind, status, created, rate, burst
/// hf:v1:{members}:mk:ID            set     the member's key ids
/// hf:v1:{members}:k:KEYID          hash    member, scopes, created, expires, revoked, used, desc, hmac
/// hf:v1:{members}:pepper           string  fingerprint of the pepper keys were first issued under
/// hf:v1:{audit}:seq                string  last audit sequence number
/// hf:v1:{audit}:log                list    "SEQ|json", newest first, capped
/// channel hf:v1:membership         publish/subscribe invalidation: "k:KEYID" or "m:MEMBERID"
/// </code>
/// </remarks>
internal static class MembershipKeys
{
    public const string Prefix = "hf:v1:";
    private const string Members = Prefix + "{members}:";

    public static readonly RedisKey AllMembers = Members + "all";
    public static readonly RedisKey PepperFingerprint = Members + "pepper";
    public static readonly RedisKey AuditSequence = Prefix + "{audit}:seq";
    public static readonly RedisKey AuditLog = Prefix + "{audit}:log";
    public static readonly RedisChannel Channel = RedisChannel.Literal(Prefix + "membership");

    public static RedisKey Member(string id) => Members + "m:" + id;

    public static RedisKey MemberKeys(string id) => Members + "mk:" + id;

    public static RedisKey Key(string keyId) => Members + "k:" + keyId;
}
