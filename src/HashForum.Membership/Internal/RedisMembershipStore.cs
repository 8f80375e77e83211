using System.Globalization;
using HashForum.Storage;
using StackExchange.Redis;

namespace HashForum.Membership.Internal;

/// <summary>
/// <see cref="IMembershipStore"/> on Redis (or the embedded Garnet). Changes that affect authentication (revocation,
/// expiry, suspension, rate limits) are published on <see cref="MembershipKeys.Channel"/> so that every server drops
/// its cached copy at once; the cache's short lifetime covers a lost message.
/// </summary>
internal sealed class RedisMembershipStore : IMembershipStore
{
    private const int MaxNameLength = 200;
    private const int MaxContactLength = 500;

    private readonly IConnectionMultiplexer _redis;
    private readonly IDatabase _db;
    private readonly Pepper _pepper;
    private readonly TimeProvider _time;

    public RedisMembershipStore(IConnectionMultiplexer redis, Pepper pepper, TimeProvider time)
    {
        _redis = redis;
        _db = redis.GetDatabase();
        _pepper = pepper;
        _time = time;
    }

    public async Task<Member> CreateMemberAsync(string name, string contact, MemberKind kind, CancellationToken cancellationToken = default)
    {
        name = CheckText(name, "name", MaxNameLength, required: true);
        contact = CheckText(contact, "contact", MaxContactLength, required: false);
        CheckKind(kind);
        var member = new Member(
            ApiKeyFormat.NewId(kind == MemberKind.Operator ? "op_" : "mem_"), name, contact, kind, MemberStatus.Active, Now(), 0, 0);
        await WriteNewMemberAsync(member, cancellationToken).ConfigureAwait(false);
        return member;
    }

    public async Task<Member> EnsureMemberAsync(string id, string name, MemberKind kind, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        CheckKind(kind);
        var member = new Member(id, CheckText(name, "name", MaxNameLength, required: true), string.Empty, kind, MemberStatus.Active, Now(), 0, 0);
        await WriteNewMemberAsync(member, cancellationToken).ConfigureAwait(false);
        return await GetMemberAsync(id, cancellationToken).ConfigureAwait(false)
            ?? throw new MembershipNotFoundException($"Member '{id}' vanished while being created.");
    }

    public async Task<Member?> GetMemberAsync(string id, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            return null;
        }

        var fields = await Run(_db.HashGetAllAsync(MembershipKeys.Member(id)), cancellationToken).ConfigureAwait(false);
        return fields.Length == 0 ? null : ReadMember(id, fields);
    }

    public async Task<IReadOnlyList<Member>> ListMembersAsync(CancellationToken cancellationToken = default)
    {
        var ids = await Run(_db.SortedSetRangeByRankAsync(MembershipKeys.AllMembers), cancellationToken).ConfigureAwait(false);
        var reads = ids.Select(id => _db.HashGetAllAsync(MembershipKeys.Member(id.ToString()))).ToArray();
        var all = await Run(Task.WhenAll(reads), cancellationToken).ConfigureAwait(false);
        var members = new List<Member>(ids.Length);
        for (var i = 0; i < ids.Length; i++)
        {
            if (all[i].Length > 0)
            {
                members.Add(ReadMember(ids[i].ToString(), all[i]));
            }
        }

        return members;
    }

    public async Task<Member> SetStatusAsync(string id, MemberStatus status, CancellationToken cancellationToken = default)
    {
        if (status is not (MemberStatus.Active or MemberStatus.Suspended))
        {
            throw new ArgumentOutOfRangeException(nameof(status), status, "A member is active or suspended.");
        }

        await UpdateMemberAsync(id, [new HashEntry("status", (int)status)], cancellationToken).ConfigureAwait(false);
        return await GetMemberAsync(id, cancellationToken).ConfigureAwait(false) ?? throw NoMember(id);
    }

    public async Task<Member> SetRateLimitAsync(string id, double ratePerSecond, int burst, CancellationToken cancellationToken = default)
    {
        if (!double.IsFinite(ratePerSecond) || ratePerSecond < 0 || burst < 0)
        {
            throw new ArgumentException("A rate limit is a rate of at least 0 requests per second and a burst of at least 0 (0 means the server default).");
        }

        await UpdateMemberAsync(
            id, [new HashEntry("rate", ratePerSecond.ToString("R", CultureInfo.InvariantCulture)), new HashEntry("burst", burst)], cancellationToken)
            .ConfigureAwait(false);
        return await GetMemberAsync(id, cancellationToken).ConfigureAwait(false) ?? throw NoMember(id);
    }

    public async Task<IssuedApiKey> IssueKeyAsync(
        string memberId, Scopes scopes, DateTimeOffset? expires, string description, CancellationToken cancellationToken = default)
    {
        var member = await GetMemberAsync(memberId, cancellationToken).ConfigureAwait(false) ?? throw NoMember(memberId);
        if (scopes == Scopes.None || (scopes & ~(Scopes.Lookup | Scopes.Contribute | Scopes.Sync | Scopes.Admin)) != 0)
        {
            throw new ArgumentException("A key needs at least one scope: lookup, contribute, sync or admin.", nameof(scopes));
        }

        if ((scopes & Scopes.Admin) != 0 && member.Kind != MemberKind.Operator)
        {
            throw new ArgumentException(
                $"Only operators' keys may hold the admin scope; '{member.Id}' is a member organisation.", nameof(scopes));
        }

        var now = Now();
        if (expires is { } e && e <= now)
        {
            throw new ArgumentException("A key's expiry must be in the future.", nameof(expires));
        }

        description = CheckText(description, "description", MaxNameLength, required: false);
        var key = ApiKeyFormat.Generate(out var keyId);
        var record = new ApiKeyRecord(keyId, member.Id, scopes, now, expires, null, null, description, _pepper.Hmac(key));
        var transaction = _db.CreateTransaction();
        transaction.AddCondition(Condition.KeyExists(MembershipKeys.Member(member.Id)));
        transaction.AddCondition(Condition.KeyNotExists(MembershipKeys.Key(keyId)));
        _ = transaction.HashSetAsync(MembershipKeys.Key(keyId),
        [
            new HashEntry("member", member.Id),
            new HashEntry("scopes", (int)scopes),
            new HashEntry("created", now.ToUnixTimeMilliseconds()),
            new HashEntry("expires", expires?.ToUnixTimeMilliseconds() ?? 0),
            new HashEntry("desc", description),
            new HashEntry("hmac", record.Hmac),
        ]);
        _ = transaction.SetAddAsync(MembershipKeys.MemberKeys(member.Id), keyId);
        if (!await Run(transaction.ExecuteAsync(), cancellationToken).ConfigureAwait(false))
        {
            throw NoMember(member.Id);
        }

        return new IssuedApiKey(key, record);
    }

    public async Task<ApiKeyRecord?> GetKeyAsync(string keyId, CancellationToken cancellationToken = default)
    {
        if (!ApiKeyFormat.IsKeyId(keyId))
        {
            return null;
        }

        var fields = await Run(_db.HashGetAllAsync(MembershipKeys.Key(keyId)), cancellationToken).ConfigureAwait(false);
        return fields.Length == 0 ? null : ReadKey(keyId, fields);
    }

    public async Task<IReadOnlyList<ApiKeyRecord>> ListKeysAsync(string memberId, CancellationToken cancellationToken = default)
    {
        _ = await GetMemberAsync(memberId, cancellationToken).ConfigureAwait(false) ?? throw NoMember(memberId);
        var ids = await Run(_db.SetMembersAsync(MembershipKeys.MemberKeys(memberId)), cancellationToken).ConfigureAwait(false);
        var reads = ids.Select(id => _db.HashGetAllAsync(MembershipKeys.Key(id.ToString()))).ToArray();
        var all = await Run(Task.WhenAll(reads), cancellationToken).ConfigureAwait(false);
        var keys = new List<ApiKeyRecord>(ids.Length);
        for (var i = 0; i < ids.Length; i++)
        {
            if (all[i].Length > 0)
            {
                keys.Add(ReadKey(ids[i].ToString(), all[i]));
            }
        }

        keys.Sort((a, b) => a.Created.CompareTo(b.Created));
        return keys;
    }

    public async Task<ApiKeyRecord> RevokeKeyAsync(string keyId, CancellationToken cancellationToken = default)
    {
        var key = await GetKeyAsync(keyId, cancellationToken).ConfigureAwait(false) ?? throw NoKey(keyId);
        if (key.Revoked is null)
        {
            var now = Now();
            await Run(_db.HashSetAsync(MembershipKeys.Key(keyId), "revoked", now.ToUnixTimeMilliseconds()), cancellationToken).ConfigureAwait(false);
            key = key with { Revoked = now };
        }

        await PublishAsync("k:" + keyId).ConfigureAwait(false);
        return key;
    }

    public async Task<ApiKeyRecord> ExpireKeyAsync(string keyId, DateTimeOffset expires, CancellationToken cancellationToken = default)
    {
        var key = await GetKeyAsync(keyId, cancellationToken).ConfigureAwait(false) ?? throw NoKey(keyId);
        if (key.Expires is null || key.Expires > expires)
        {
            await Run(_db.HashSetAsync(MembershipKeys.Key(keyId), "expires", expires.ToUnixTimeMilliseconds()), cancellationToken)
                .ConfigureAwait(false);
            key = key with { Expires = expires };
        }

        await PublishAsync("k:" + keyId).ConfigureAwait(false);
        return key;
    }

    public Task TouchKeyAsync(string keyId, DateTimeOffset time) =>
        _db.HashSetAsync(MembershipKeys.Key(keyId), "used", time.ToUnixTimeMilliseconds(), When.Always, CommandFlags.FireAndForget);

    public async Task<bool> CheckPepperAsync(CancellationToken cancellationToken = default)
    {
        var fingerprint = _pepper.Fingerprint();
        _ = await Run(_db.StringSetAsync(MembershipKeys.PepperFingerprint, fingerprint, when: When.NotExists), cancellationToken)
            .ConfigureAwait(false);
        byte[]? stored = await Run(_db.StringGetAsync(MembershipKeys.PepperFingerprint), cancellationToken).ConfigureAwait(false);
        return stored is not null && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(stored, fingerprint);
    }

    private async Task WriteNewMemberAsync(Member member, CancellationToken cancellationToken)
    {
        var transaction = _db.CreateTransaction();
        transaction.AddCondition(Condition.KeyNotExists(MembershipKeys.Member(member.Id)));
        _ = transaction.HashSetAsync(MembershipKeys.Member(member.Id),
        [
            new HashEntry("name", member.Name),
            new HashEntry("contact", member.Contact),
            new HashEntry("kind", (int)member.Kind),
            new HashEntry("status", (int)member.Status),
            new HashEntry("created", member.Created.ToUnixTimeMilliseconds()),
            new HashEntry("rate", 0),
            new HashEntry("burst", 0),
        ]);
        _ = transaction.SortedSetAddAsync(MembershipKeys.AllMembers, member.Id, member.Created.ToUnixTimeMilliseconds());
        _ = await Run(transaction.ExecuteAsync(), cancellationToken).ConfigureAwait(false);
    }

    private async Task UpdateMemberAsync(string id, HashEntry[] fields, CancellationToken cancellationToken)
    {
        var transaction = _db.CreateTransaction();
        transaction.AddCondition(Condition.KeyExists(MembershipKeys.Member(id)));
        _ = transaction.HashSetAsync(MembershipKeys.Member(id), fields);
        if (!await Run(transaction.ExecuteAsync(), cancellationToken).ConfigureAwait(false))
        {
            throw NoMember(id);
        }

        await PublishAsync("m:" + id).ConfigureAwait(false);
    }

    private async Task PublishAsync(string message)
    {
        try
        {
            _ = await _redis.GetSubscriber().PublishAsync(MembershipKeys.Channel, message).ConfigureAwait(false);
        }
        catch (RedisException)
        {
            // The change is stored; servers see it when their cache entry lapses (at most KeyCacheDuration).
        }
    }

    private DateTimeOffset Now()
    {
        // Millisecond precision, as stored, so that what is returned equals what is read back.
        var now = _time.GetUtcNow();
        return DateTimeOffset.FromUnixTimeMilliseconds(now.ToUnixTimeMilliseconds());
    }

    private static Member ReadMember(string id, HashEntry[] fields)
    {
        var map = fields.ToDictionary(f => f.Name.ToString(), f => f.Value);
        return new Member(
            id,
            map.GetValueOrDefault("name").ToString(),
            map.GetValueOrDefault("contact").ToString(),
            (MemberKind)(int)map.GetValueOrDefault("kind"),
            (MemberStatus)(int)map.GetValueOrDefault("status"),
            DateTimeOffset.FromUnixTimeMilliseconds((long)map.GetValueOrDefault("created")),
            map.TryGetValue("rate", out var rate) && !rate.IsNullOrEmpty ? double.Parse(rate.ToString(), CultureInfo.InvariantCulture) : 0,
            (int)map.GetValueOrDefault("burst"));
    }

    private static ApiKeyRecord ReadKey(string keyId, HashEntry[] fields)
    {
        var map = fields.ToDictionary(f => f.Name.ToString(), f => f.Value);
        return new ApiKeyRecord(
            keyId,
            map.GetValueOrDefault("member").ToString(),
            (Scopes)(int)map.GetValueOrDefault("scopes"),
            DateTimeOffset.FromUnixTimeMilliseconds((long)map.GetValueOrDefault("created")),
            Time(map.GetValueOrDefault("expires")),
            Time(map.GetValueOrDefault("used")),
            Time(map.GetValueOrDefault("revoked")),
            map.GetValueOrDefault("desc").ToString(),
            (byte[]?)map.GetValueOrDefault("hmac") ?? []);
    }

    private static DateTimeOffset? Time(RedisValue value) =>
        value.IsNullOrEmpty || (long)value == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds((long)value);

    private static string CheckText(string? text, string what, int maxLength, bool required)
    {
        text = text?.Trim() ?? string.Empty;
        if (required && text.Length == 0)
        {
            throw new ArgumentException($"A {what} is required.", what);
        }

        if (text.Length > maxLength)
        {
            throw new ArgumentException($"A {what} is at most {maxLength} characters; got {text.Length}.", what);
        }

        if (text.Any(char.IsControl))
        {
            throw new ArgumentException($"A {what} may not hold control characters.", what);
        }

        return text;
    }

    private static void CheckKind(MemberKind kind)
    {
        if (kind is not (MemberKind.Member or MemberKind.Operator))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "A member is a member organisation or an operator.");
        }
    }

    private static MembershipNotFoundException NoMember(string id) =>
        new($"There is no member '{id}'; list them with 'hashforum admin member list'.");

    private static MembershipNotFoundException NoKey(string id) =>
        new($"There is no key '{id}'; list a member's keys with 'hashforum admin key list --member ID'.");

    /// <summary>Awaits a store operation, turning connection failures into <see cref="StoreUnavailableException"/>.</summary>
    internal static async Task<T> Run<T>(Task<T> operation, CancellationToken cancellationToken)
    {
        try
        {
            return await operation.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisConnectionException or RedisTimeoutException)
        {
            throw new StoreUnavailableException("The membership store is unavailable: " + ex.GetType().Name + ".", ex);
        }
    }
}
