using System.Collections.Concurrent;
using HashForum.Membership.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace HashForum.Membership;

/// <summary>
/// Checks <c>authorization</c> metadata against the store: shape and checksum first (no lookup), then the key's
/// record, its HMAC under the pepper (constant time), revocation, expiry and the member's status. Validated records
/// are cached for <see cref="MembershipOptions.KeyCacheDuration"/> at most, and dropped at once when a server
/// publishes a revocation or suspension; so a change reaches every server within that time even if the message is
/// lost.
/// </summary>
public sealed class KeyValidator
{
    private const string BearerScheme = "Bearer ";

    private readonly IMembershipStore _store;
    private readonly Pepper _pepper;
    private readonly MembershipOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, CacheEntry> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _touched = new(StringComparer.Ordinal);
    private long _epoch;

    public KeyValidator(
        IMembershipStore store, Pepper pepper, IOptions<MembershipOptions> options, TimeProvider time, ILogger<KeyValidator>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _pepper = pepper;
        _options = options.Value;
        _time = time;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Subscribes to invalidations published by any server (best effort: the cache lifetime is the bound).</summary>
    public async Task SubscribeAsync(IConnectionMultiplexer redis)
    {
        ArgumentNullException.ThrowIfNull(redis);
        try
        {
            await redis.GetSubscriber().SubscribeAsync(MembershipKeys.Channel, (_, message) => Invalidate(message.ToString()))
                .ConfigureAwait(false);
        }
        catch (RedisException ex)
        {
            MembershipLog.SubscribeFailed(_logger, ex);
        }
    }

    /// <summary>Tests only: drop invalidation messages, as if they were lost, to check the cache-expiry bound.</summary>
    internal bool IgnoreInvalidations { get; set; }

    /// <summary>Drops cached state: <c>k:KEYID</c> for one key, <c>m:MEMBERID</c> for a member's keys.</summary>
    public void Invalidate(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (IgnoreInvalidations)
        {
            return;
        }

        Interlocked.Increment(ref _epoch);
        if (message.StartsWith("k:", StringComparison.Ordinal))
        {
            _cache.TryRemove(message[2..], out _);
        }
        else if (message.StartsWith("m:", StringComparison.Ordinal))
        {
            var member = message[2..];
            foreach (var (keyId, entry) in _cache)
            {
                if (entry.Member.Id == member)
                {
                    _cache.TryRemove(keyId, out _);
                }
            }
        }
    }

    /// <summary>Checks the value of an <c>authorization</c> header (null when the header is absent).</summary>
    public async ValueTask<AuthResult> ValidateAsync(string? authorization, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(authorization))
        {
            return Fail(AuthOutcome.Missing, null, null,
                "No API key: send the metadata 'authorization: Bearer <key>' (an operator issues keys with 'hashforum admin key issue').");
        }

        if (!authorization.StartsWith(BearerScheme, StringComparison.OrdinalIgnoreCase))
        {
            return Fail(AuthOutcome.Malformed, null, null, "The authorization metadata must be 'Bearer <key>'.");
        }

        var key = authorization.AsSpan(BearerScheme.Length).Trim().ToString();
        if (!ApiKeyFormat.TryParse(key, out var keyId, out var reason))
        {
            return Fail(AuthOutcome.Malformed, null, null, "The API key is malformed: " + reason + ".");
        }

        var entry = await GetAsync(keyId, cancellationToken).ConfigureAwait(false);
        if (entry is null || !_pepper.Matches(key, entry.Key.Hmac))
        {
            return Fail(AuthOutcome.Unknown, keyId, null,
                $"The API key {keyId} is not recognised by this forum (unknown, or issued under another pepper); ask an operator for a valid key.");
        }

        var record = entry.Key;
        var now = _time.GetUtcNow();
        if (record.Revoked is not null)
        {
            return Fail(AuthOutcome.Revoked, keyId, record.MemberId, $"The API key {keyId} has been revoked; ask an operator for a new key.");
        }

        if (record.Expires is { } expires && expires <= now)
        {
            return Fail(AuthOutcome.Expired, keyId, record.MemberId,
                $"The API key {keyId} expired at {expires:u}; ask an operator for a new key.");
        }

        var member = entry.Member;
        if (member.Status != MemberStatus.Active)
        {
            return Fail(AuthOutcome.Suspended, keyId, member.Id,
                $"Member {member.Id} is suspended; its keys are refused until an operator reactivates it.");
        }

        Touch(record, now);
        var caller = new Caller(member.Id, member.Name, member.Kind, keyId, record.Scopes, record.Expires, member.RatePerSecond, member.Burst);
        return new AuthResult(AuthOutcome.Ok, caller, keyId, member.Id, string.Empty);
    }

    private async ValueTask<CacheEntry?> GetAsync(string keyId, CancellationToken cancellationToken)
    {
        var now = _time.GetTimestamp();
        if (_cache.TryGetValue(keyId, out var cached) && _time.GetElapsedTime(cached.Fetched, now) < _options.KeyCacheDuration)
        {
            return cached;
        }

        var epoch = Interlocked.Read(ref _epoch);
        var record = await _store.GetKeyAsync(keyId, cancellationToken).ConfigureAwait(false);
        var member = record is null ? null : await _store.GetMemberAsync(record.MemberId, cancellationToken).ConfigureAwait(false);
        if (record is null || member is null)
        {
            _cache.TryRemove(keyId, out _);
            return null;
        }

        var entry = new CacheEntry(record, member, now);

        // An invalidation that arrived while we read may concern what we read: use it for this call, do not keep it.
        if (_options.KeyCacheDuration > TimeSpan.Zero && Interlocked.Read(ref _epoch) == epoch)
        {
            _cache[keyId] = entry;
        }

        return entry;
    }

    private void Touch(ApiKeyRecord record, DateTimeOffset now)
    {
        var interval = _options.LastUsedInterval;
        var nowMs = now.ToUnixTimeMilliseconds();
        if (record.LastUsed is { } used && now - used < interval)
        {
            return;
        }

        if (_touched.TryGetValue(record.Id, out var last) && nowMs - last < (long)interval.TotalMilliseconds)
        {
            return;
        }

        _touched[record.Id] = nowMs;
        _ = TouchQuietlyAsync(record.Id, now);
    }

    private async Task TouchQuietlyAsync(string keyId, DateTimeOffset now)
    {
        try
        {
            await _store.TouchKeyAsync(keyId, now).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // "Last used" is best effort: a failed write must not fail or disturb the request.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private static AuthResult Fail(AuthOutcome outcome, string? keyId, string? memberId, string message) =>
        new(outcome, null, keyId, memberId, message);

    private sealed record CacheEntry(ApiKeyRecord Key, Member Member, long Fetched);
}
