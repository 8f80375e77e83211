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
    /// Which of several values a member already holds. KEYS: val keys. ARGV: members. Returns, per item, the
    /// existing id or an empty string. Read-only; the write script checks again.
    /// </summary>
    public const string Existing = """
        local out = {}
        for j = 1, #KEYS do
            out[j] = redis.call('HGET', KEYS[j], ARGV[j]) or ''
        end
        return out
        """;

    /// <summary>
    /// Contributes several records of one partition at once (one script per batch: one dispatch and, on Garnet,
    /// one AOF commit for the lot). KEYS: seq, log, then val, rec and act bucket of each item. ARGV: now-ms,
    /// log-length, then member, id, signal, value, act-entry, quality, labels, note, reference of each item.
    /// Returns, per item, 1 and the new id, or 0 and the id the member already holds. Sequence numbers are taken
    /// in one INCRBY and the log entries added in one ZADD.
    /// </summary>
    public const string Contribute = """
        local unpack = unpack or table.unpack
        local n = math.floor((#KEYS - 2) / 3)
        local fresh = {}
        local out = {}
        for j = 0, n - 1 do
            local a = 3 + 9 * j
            local existing = redis.call('HGET', KEYS[3 + 3 * j], ARGV[a])
            if existing then
                out[2 * j + 1] = 0
                out[2 * j + 2] = existing
            else
                fresh[#fresh + 1] = j
                out[2 * j + 1] = 1
                out[2 * j + 2] = ARGV[a + 1]
            end
        end
        if #fresh == 0 then return out end
        local last = redis.call('INCRBY', KEYS[1], #fresh)
        local log = {}
        for k = 1, #fresh do
            local j = fresh[k]
            local a = 3 + 9 * j
            local member, id, sig, val = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
            redis.call('HSET', KEYS[4 + 3 * j], 'id', id, 'sig', sig, 'val', val, 'q', ARGV[a + 5], 'lab', ARGV[a + 6],
                'note', ARGV[a + 7], 'ref', ARGV[a + 8], 'mem', member, 'ct', ARGV[1], 'ut', ARGV[1], 'st', 'a', 'fbp', 0, 'fbn', 0)
            redis.call('HSET', KEYS[3 + 3 * j], member, id)
            redis.call('HSET', KEYS[5 + 3 * j], id, ARGV[a + 4])
            local seq = last - #fresh + k
            log[#log + 1] = seq
            log[#log + 1] = tostring(seq) .. '|a|' .. id .. '|' .. sig .. '|' .. val
        end
        redis.call('ZADD', KEYS[2], unpack(log))
        local max = tonumber(ARGV[2])
        local size = redis.call('ZCARD', KEYS[2])
        if size > max then redis.call('ZREMRANGEBYRANK', KEYS[2], 0, size - max - 1) end
        return out
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
