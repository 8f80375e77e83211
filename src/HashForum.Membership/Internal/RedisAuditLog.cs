using System.Globalization;
using System.Text.Json;
using StackExchange.Redis;

namespace HashForum.Membership.Internal;

/// <summary>
/// <see cref="IAuditLog"/> as a capped Redis list of <c>SEQ|json</c>, newest first; sequence, push and trim happen in
/// one script so the list order is the sequence order.
/// </summary>
internal sealed class RedisAuditLog(IConnectionMultiplexer redis, TimeProvider time, int capacity) : IAuditLog
{
    private const int Page = 500;

    // KEYS[1] = seq, KEYS[2] = log; ARGV[1] = json, ARGV[2] = capacity. Both keys carry the {audit} tag.
    private const string AppendScript = """
        local seq = redis.call('INCR', KEYS[1])
        redis.call('LPUSH', KEYS[2], seq .. '|' .. ARGV[1])
        redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[2]) - 1)
        return seq
        """;

    private readonly IDatabase _db = redis.GetDatabase();

    public async Task<long> WriteAsync(
        string memberId, string keyId, string method, string peer, string outcome, string detail, CancellationToken cancellationToken = default)
    {
        var entry = new Entry(time.GetUtcNow().ToUnixTimeMilliseconds(), memberId, keyId, method, peer, outcome, detail);
        var json = JsonSerializer.Serialize(entry, AuditJson.Default.Entry);
        var result = await RedisMembershipStore.Run(
            _db.ScriptEvaluateAsync(AppendScript, [MembershipKeys.AuditSequence, MembershipKeys.AuditLog], [json, capacity]),
            cancellationToken).ConfigureAwait(false);
        return (long)result;
    }

    public async Task<IReadOnlyList<AuditRecord>> ReadAsync(
        int limit, long before = 0, string? memberId = null, CancellationToken cancellationToken = default)
    {
        var results = new List<AuditRecord>(Math.Min(limit, Page));
        for (long start = 0; results.Count < limit; start += Page)
        {
            var page = await RedisMembershipStore.Run(
                _db.ListRangeAsync(MembershipKeys.AuditLog, start, start + Page - 1), cancellationToken).ConfigureAwait(false);
            foreach (var raw in page)
            {
                var record = Parse(raw.ToString());
                if (record is null || (before > 0 && record.Sequence >= before) ||
                    (!string.IsNullOrEmpty(memberId) && record.MemberId != memberId))
                {
                    continue;
                }

                results.Add(record);
                if (results.Count == limit)
                {
                    break;
                }
            }

            if (page.Length < Page)
            {
                break;
            }
        }

        return results;
    }

    private static AuditRecord? Parse(string raw)
    {
        var bar = raw.IndexOf('|', StringComparison.Ordinal);
        if (bar <= 0 || !long.TryParse(raw.AsSpan(0, bar), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
        {
            return null;
        }

        try
        {
            var e = JsonSerializer.Deserialize(raw.AsSpan(bar + 1), AuditJson.Default.Entry);
            return e is null
                ? null
                : new AuditRecord(sequence, DateTimeOffset.FromUnixTimeMilliseconds(e.T), e.M ?? "", e.K ?? "", e.Op ?? "", e.P ?? "", e.O ?? "", e.D ?? "");
        }
        catch (JsonException)
        {
            return null;
        }
    }

    internal sealed record Entry(long T, string? M, string? K, string? Op, string? P, string? O, string? D);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(RedisAuditLog.Entry))]
internal sealed partial class AuditJson : System.Text.Json.Serialization.JsonSerializerContext;
