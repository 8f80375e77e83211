namespace HashForum.Storage.Internal;

/// <summary>
/// The Lua scripts that write a record and its change log entry atomically. Every key a script touches is passed in
/// KEYS and shares the partition's hash tag (Redis Cluster; Garnet locks exactly the KEYS in transaction mode).
/// Ids are passed in as text and never computed in Lua (Redis' Lua 5.1 numbers are doubles). Time comes from the
/// client, not from TIME, so scripts stay deterministic. Each script trims the partition's log to ARGV's length.
/// </summary>
internal static class StoreScripts
{
    private const string AppendLog = """
        local seq = redis.call('INCR', KEYS[SEQ])
        redis.call('ZADD', KEYS[LOG], seq, tostring(seq) .. '|' .. KIND .. '|' .. ID .. '|' .. SIG .. '|' .. VAL)
        local max = tonumber(LOGMAX)
        local n = redis.call('ZCARD', KEYS[LOG])
        if n > max then redis.call('ZREMRANGEBYRANK', KEYS[LOG], 0, n - max - 1) end
        """;

    /// <summary>
    /// KEYS: val, rec, act, seq, log. ARGV: member, id, signal, value, act-entry, now-ms, quality, labels, note,
    /// reference, log-length. Returns {1, id, seq} when created, {0, existing-id} when the member already holds it.
    /// </summary>
    public static readonly string Contribute = """
        local existing = redis.call('HGET', KEYS[1], ARGV[1])
        if existing then return {0, existing} end
        redis.call('HSET', KEYS[2], 'id', ARGV[2], 'sig', ARGV[3], 'val', ARGV[4], 'q', ARGV[7], 'lab', ARGV[8],
            'note', ARGV[9], 'ref', ARGV[10], 'mem', ARGV[1], 'ct', ARGV[6], 'ut', ARGV[6], 'st', 'a', 'fbp', 0, 'fbn', 0)
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        redis.call('HSET', KEYS[3], ARGV[2], ARGV[5])
        """ + Log(seq: 4, log: 5, kind: "'a'", id: "ARGV[2]", sig: "ARGV[3]", val: "ARGV[4]", logMax: "ARGV[11]") + """
        return {1, ARGV[2], seq}
        """;

    /// <summary>
    /// KEYS: rec, act, seq, log. ARGV: id, member, now-ms, log-length. Returns {-1} if no record, {0} if already
    /// retracted, {1, seq} when retracted now.
    /// </summary>
    public static readonly string Retract = """
        local rec = redis.call('HMGET', KEYS[1], 'st', 'sig', 'val')
        if not rec[1] then return {-1} end
        if rec[1] == 'r' then return {0} end
        redis.call('HSET', KEYS[1], 'st', 'r', 'rby', ARGV[2], 'rat', ARGV[3], 'ut', ARGV[3])
        redis.call('HDEL', KEYS[2], ARGV[1])
        """ + Log(seq: 3, log: 4, kind: "'r'", id: "ARGV[1]", sig: "rec[2]", val: "rec[3]", logMax: "ARGV[4]") + """
        return {1, seq}
        """;

    /// <summary>
    /// KEYS: rec, seq, log. ARGV: id, labels, now-ms, log-length. Returns {-1} if no record, {0} if unchanged,
    /// {1, seq} when changed.
    /// </summary>
    public static readonly string Relabel = """
        local rec = redis.call('HMGET', KEYS[1], 'lab', 'sig', 'val')
        if not rec[2] then return {-1} end
        if rec[1] == ARGV[2] then return {0} end
        redis.call('HSET', KEYS[1], 'lab', ARGV[2], 'ut', ARGV[3])
        """ + Log(seq: 2, log: 3, kind: "'l'", id: "ARGV[1]", sig: "rec[2]", val: "rec[3]", logMax: "ARGV[4]") + """
        return {1, seq}
        """;

    /// <summary>
    /// KEYS: rec, fb, seq, log. ARGV: id, member, opinion (p, n or -), now-ms, log-length. Returns {-1} if no record,
    /// {0} if unchanged, {1, seq} when changed. Tallies move with the member's opinion: one opinion per member.
    /// </summary>
    public static readonly string Feedback = """
        local rec = redis.call('HMGET', KEYS[1], 'sig', 'val')
        if not rec[1] then return {-1} end
        local old = redis.call('HGET', KEYS[2], ARGV[2])
        if not old then old = '-' end
        if old == ARGV[3] then return {0} end
        if old == 'p' then redis.call('HINCRBY', KEYS[1], 'fbp', -1) end
        if old == 'n' then redis.call('HINCRBY', KEYS[1], 'fbn', -1) end
        if ARGV[3] == 'p' then redis.call('HINCRBY', KEYS[1], 'fbp', 1) end
        if ARGV[3] == 'n' then redis.call('HINCRBY', KEYS[1], 'fbn', 1) end
        if ARGV[3] == '-' then redis.call('HDEL', KEYS[2], ARGV[2]) else redis.call('HSET', KEYS[2], ARGV[2], ARGV[3]) end
        redis.call('HSET', KEYS[1], 'ut', ARGV[4])
        """ + Log(seq: 3, log: 4, kind: "'f'", id: "ARGV[1]", sig: "rec[1]", val: "rec[2]", logMax: "ARGV[5]") + """
        return {1, seq}
        """;

    private static string Log(int seq, int log, string kind, string id, string sig, string val, string logMax) =>
        "\n" + AppendLog
            .Replace("KEYS[SEQ]", $"KEYS[{seq}]", StringComparison.Ordinal)
            .Replace("KEYS[LOG]", $"KEYS[{log}]", StringComparison.Ordinal)
            .Replace("KIND", kind, StringComparison.Ordinal)
            .Replace("ID", id, StringComparison.Ordinal)
            .Replace("SIG", sig, StringComparison.Ordinal)
            .Replace("VAL", val, StringComparison.Ordinal)
            .Replace("LOGMAX", logMax, StringComparison.Ordinal) + "\n";
}
