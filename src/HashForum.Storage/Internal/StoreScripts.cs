namespace HashForum.Storage.Internal;

/// <summary>
/// The Lua scripts that write a record and its change log entry atomically (on embedded Garnet, atomically while it
/// runs; after a crash see <see cref="Contribute"/>). Every key a script touches is passed in
/// KEYS and shares the partition's hash tag (Redis Cluster; Garnet locks exactly the KEYS in transaction mode).
/// Ids are passed in as text and never computed in Lua (Redis' Lua 5.1 numbers are doubles). Time comes from the
/// client, not from TIME, so scripts stay deterministic. Each script trims the partition's log to about ARGV's
/// length in sequence numbers (by score; a batch's member goes whole, and the member just added always stays).
/// </summary>
internal static class StoreScripts
{
    private const string AppendLog = """
        local seq = redis.call('INCR', KEYS[SEQ])
        redis.call('ZADD', KEYS[LOG], seq, tostring(seq) .. '|' .. KIND .. '|' .. ID .. '|' .. SIG .. '|' .. VAL)
        local cut = seq - tonumber(LOGMAX)
        if cut > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[LOG], '-inf', cut) end
        """;

    /// <summary>
    /// Contributes a batch of records of one partition in one call: the idempotency check, the record, the value
    /// index, the active-records entry and the change log entry of each item, atomically. One call per batch spreads
    /// the per-command cost over the batch (not Garnet's AOF commit-wait, which is per call inside the script).
    /// KEYS: seq, log, then val, rec and act bucket of each item. ARGV: now-ms, log-length, then member, id, signal,
    /// value, act-entry, quality, labels, note, reference of each item (ids reserved by the caller; an item that
    /// turns out to exist leaves its id unused). Returns, per item, 1 and the new id, or 0 and the id the member
    /// already holds. An item repeated within the batch finds the first one's record.
    /// Per record: one HGET and two HSETs; the active-records entries go in one HSET per bucket and the sequence in
    /// one INCRBY per batch. The batch's log entries are one log member (lines joined by newlines, scored by the
    /// first sequence number): one ZADD instead of one per record, and a log a fraction of the size. The record hash
    /// holds only the fields that carry something: an update time equal to the creation time, active status and zero
    /// tallies are implied.
    /// The order of the writes matters on embedded Garnet: its AOF recovery after a crash can replay a prefix of a
    /// script's writes (seen in the kill -9 test: a record and its active entry back, its log entry not). So the
    /// writes go records, active entries, value index, sequence, log: a cut-off batch leaves records nobody refers
    /// to, or records loaded at the next start but not yet findable by value (a retry then writes a second record),
    /// never a value that says "already contributed" of a record no index loads.
    /// </summary>
    public const string Contribute = """
        local unpack = unpack or table.unpack
        local n = math.floor((#KEYS - 2) / 3)
        local now = ARGV[1]
        local base = tonumber(redis.call('GET', KEYS[1]) or '0')
        local made = 0
        local out = {}
        local lines = {}
        local acts = {}
        local order = {}
        local claims = {}
        local claimed = {}
        for j = 0, n - 1 do
            local a = 3 + 9 * j
            local member = ARGV[a]
            local valKey = KEYS[3 + 3 * j]
            local existing = claimed[valKey .. '\0' .. member] or redis.call('HGET', valKey, member)
            if existing then
                out[2 * j + 1] = 0
                out[2 * j + 2] = existing
            else
                local id, sig, val = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
                local rec = {'sig', sig, 'val', val, 'mem', member, 'ct', now}
                if ARGV[a + 5] ~= '' then rec[#rec + 1] = 'q'; rec[#rec + 1] = ARGV[a + 5] end
                if ARGV[a + 6] ~= '' then rec[#rec + 1] = 'lab'; rec[#rec + 1] = ARGV[a + 6] end
                if ARGV[a + 7] ~= '' then rec[#rec + 1] = 'note'; rec[#rec + 1] = ARGV[a + 7] end
                if ARGV[a + 8] ~= '' then rec[#rec + 1] = 'ref'; rec[#rec + 1] = ARGV[a + 8] end
                redis.call('HSET', KEYS[4 + 3 * j], unpack(rec))
                claimed[valKey .. '\0' .. member] = id
                claims[#claims + 1] = j
                local actKey = KEYS[5 + 3 * j]
                local act = acts[actKey]
                if not act then
                    act = {}
                    acts[actKey] = act
                    order[#order + 1] = actKey
                end
                act[#act + 1] = id
                act[#act + 1] = ARGV[a + 4]
                made = made + 1
                lines[made] = tostring(base + made) .. '|a|' .. id .. '|' .. sig .. '|' .. val
                out[2 * j + 1] = 1
                out[2 * j + 2] = id
            end
        end
        if made == 0 then return out end
        for k = 1, #order do
            redis.call('HSET', order[k], unpack(acts[order[k]]))
        end
        for k = 1, #claims do
            local j = claims[k]
            redis.call('HSET', KEYS[3 + 3 * j], ARGV[3 + 9 * j], ARGV[4 + 9 * j])
        end
        redis.call('INCRBY', KEYS[1], made)
        redis.call('ZADD', KEYS[2], base + 1, table.concat(lines, '\n'))
        local cut = math.min(base + made - tonumber(ARGV[2]), base)
        if cut > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', cut) end
        return out
        """;

    /// <summary>
    /// KEYS: rec, act, seq, log. ARGV: id, member, now-ms, log-length. Returns {-1} if no record, {0} if already
    /// retracted, {1, seq} when retracted now. The active entry goes first (and again on a repeat): a crash replay
    /// that stops part-way (see <see cref="Contribute"/>) leaves at worst a record no longer loaded whose status still
    /// says active, which the next try retracts, never a retracted record that every start loads again.
    /// </summary>
    public static readonly string Retract = """
        local rec = redis.call('HMGET', KEYS[1], 'st', 'sig', 'val')
        if not rec[2] then return {-1} end
        redis.call('HDEL', KEYS[2], ARGV[1])
        if rec[1] == 'r' then return {0} end
        redis.call('HSET', KEYS[1], 'st', 'r', 'rby', ARGV[2], 'rat', ARGV[3], 'ut', ARGV[3])
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
        if (rec[1] or '') == ARGV[2] then return {0} end
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
