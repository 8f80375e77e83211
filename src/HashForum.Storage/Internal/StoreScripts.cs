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
    /// The signal name and hex value of a packed record (<see cref="PackedRecord"/>) in local <c>packed</c>, as
    /// locals <c>sig</c> and <c>val</c>: for the log entries of mutations, which name them.
    /// </summary>
    private const string Unpack = """
        local code = string.byte(packed, 1)
        local sig = ({'pdq', 'md5', 'sha256'})[code]
        local raw = string.sub(packed, 2, 1 + ({32, 16, 32})[code])
        local val = (string.gsub(raw, '.', function(c) return string.format('%02x', string.byte(c)) end))
        """;

    /// <summary>
    /// The packed creation data of the record with id ARGV[1], from its bucket (KEYS[2]) or, once retracted, from its
    /// overlay (KEYS[1]); returns {-1} when there is no such record.
    /// </summary>
    private const string Find = """
        local packed = redis.call('HGET', KEYS[2], ARGV[1]) or redis.call('HGET', KEYS[1], 'd')
        if not packed then return {-1} end
        """;

    /// <summary>
    /// The store's partition count and layout, both fixed by the first user. KEYS: partitions, layout. ARGV: the
    /// configured partition count, this code's layout. Returns {partitions, layout}; the layout is '' for a store that
    /// has a partition count but no layout (written by a build from before record buckets).
    /// </summary>
    public const string Meta = """
        if redis.call('EXISTS', KEYS[2]) == 0 then
            if redis.call('EXISTS', KEYS[1]) == 1 then return {redis.call('GET', KEYS[1]), ''} end
            redis.call('SET', KEYS[1], ARGV[1])
            redis.call('SET', KEYS[2], ARGV[2])
        end
        return {redis.call('GET', KEYS[1]), redis.call('GET', KEYS[2])}
        """;

    /// <summary>
    /// Contributes a batch of records of one partition in one call: the idempotency check, the record, the value
    /// index and the change log entry of each item, atomically. One call per batch spreads the per-command cost over
    /// the batch (and Garnet's AOF commit-wait, which is per call inside the script).
    /// KEYS: seq, log, then val and record bucket of each item. ARGV: log-length, then member, id, packed record and
    /// log line (<c>a|id|signal|value</c>) of each item (ids reserved by the caller; an item that turns out to exist
    /// leaves its id unused). Returns, per item, 1 and the new id, or 0 and the id the member already holds.
    /// The caller sends each (signal, value, member) at most once per call (<c>ContributeManyAsync</c> sends only
    /// the first of repeats): the check reads the value index, which this script writes only after the records.
    /// Per record: one HGET and one HSET of the value index, and one entry of a record-bucket HSET (one or two per
    /// batch); the log entries are one log member (lines joined by newlines, scored by the first sequence number)
    /// and the sequence one INCRBY. Redis' CPU per record is what limits bulk writes, so nothing else is done per
    /// record: the client formats the record and the log line, no key is created for a record.
    /// The order of the writes matters on embedded Garnet: its AOF recovery after a crash can replay a prefix of a
    /// script's writes (seen in the kill -9 test: a record back, its log entry not). So the writes go records, value
    /// index, sequence, log: a cut-off batch leaves records nobody refers to (loaded at the next start, but not yet
    /// findable by value: a retry then writes a second record), never a value that says "already contributed" of a
    /// record no index loads.
    /// </summary>
    public const string Contribute = """
        local unpack = unpack or table.unpack
        local n = (#KEYS - 2) / 2
        local base = tonumber(redis.call('GET', KEYS[1]) or '0')
        local made = 0
        local out = {}
        local lines = {}
        local buckets = {}
        local order = {}
        local claims = {}
        for j = 0, n - 1 do
            local a = 2 + 4 * j
            local existing = redis.call('HGET', KEYS[3 + 2 * j], ARGV[a])
            if existing then
                out[2 * j + 1] = 0
                out[2 * j + 2] = existing
            else
                local key = KEYS[4 + 2 * j]
                local bucket = buckets[key]
                if not bucket then
                    bucket = {}
                    buckets[key] = bucket
                    order[#order + 1] = key
                end
                bucket[#bucket + 1] = ARGV[a + 1]
                bucket[#bucket + 1] = ARGV[a + 2]
                made = made + 1
                claims[made] = j
                lines[made] = ARGV[a + 3]
                out[2 * j + 1] = 1
                out[2 * j + 2] = ARGV[a + 1]
            end
        end
        if made == 0 then return out end
        for k = 1, #order do
            redis.call('HSET', order[k], unpack(buckets[order[k]]))
        end
        for k = 1, made do
            local j = claims[k]
            redis.call('HSET', KEYS[3 + 2 * j], ARGV[2 + 4 * j], ARGV[3 + 4 * j])
        end
        redis.call('INCRBY', KEYS[1], made)
        redis.call('ZADD', KEYS[2], base + 1, table.concat(lines, '\n'))
        local cut = math.min(base + made - tonumber(ARGV[1]), base)
        if cut > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', cut) end
        return out
        """;

    /// <summary>
    /// KEYS: overlay, bucket, seq, log. ARGV: id, member, now-ms, log-length. Returns {-1} if no record, {0} if already
    /// retracted, {1, seq} when retracted now. The packed data moves to the overlay with the status before it leaves
    /// the bucket: a crash replay that stops part-way (see <see cref="Contribute"/>) leaves at worst a retracted
    /// record still in its bucket, which the next try takes out, never a record that is nowhere.
    /// </summary>
    public static readonly string Retract = """
        local packed = redis.call('HGET', KEYS[2], ARGV[1])
        if redis.call('HGET', KEYS[1], 'st') == 'r' then
            if packed then redis.call('HDEL', KEYS[2], ARGV[1]) end
            return {0}
        end
        if not packed then return {-1} end
        redis.call('HSET', KEYS[1], 'd', packed, 'st', 'r', 'rby', ARGV[2], 'rat', ARGV[3], 'ut', ARGV[3])
        redis.call('HDEL', KEYS[2], ARGV[1])
        """ + "\n" + Unpack + Log(seq: 3, log: 4, kind: "'r'", logMax: "ARGV[4]") + """
        return {1, seq}
        """;

    /// <summary>
    /// KEYS: overlay, bucket, seq, log. ARGV: id, labels, now-ms, log-length. Returns {-1} if no record, {0} if
    /// unchanged, {1, seq} when changed. The labels at creation are the fourth text field of the packed data.
    /// </summary>
    public static readonly string Relabel = Find + "\n" + Unpack + "\n" + """
        local labels = redis.call('HGET', KEYS[1], 'lab')
            or string.match(string.sub(packed, 2 + string.len(raw)), '^[^\t]*\t[^\t]*\t[^\t]*\t([^\t]*)\t')
        if labels == ARGV[2] then return {0} end
        redis.call('HSET', KEYS[1], 'lab', ARGV[2], 'ut', ARGV[3])
        """ + Log(seq: 3, log: 4, kind: "'l'", logMax: "ARGV[4]") + """
        return {1, seq}
        """;

    /// <summary>
    /// KEYS: overlay, bucket, fb, seq, log. ARGV: id, member, opinion (p, n or -), now-ms, log-length. Returns {-1} if
    /// no record, {0} if unchanged, {1, seq} when changed. Tallies move with the member's opinion: one opinion per
    /// member.
    /// </summary>
    public static readonly string Feedback = Find + "\n" + """
        local old = redis.call('HGET', KEYS[3], ARGV[2])
        if not old then old = '-' end
        if old == ARGV[3] then return {0} end
        if old == 'p' then redis.call('HINCRBY', KEYS[1], 'fbp', -1) end
        if old == 'n' then redis.call('HINCRBY', KEYS[1], 'fbn', -1) end
        if ARGV[3] == 'p' then redis.call('HINCRBY', KEYS[1], 'fbp', 1) end
        if ARGV[3] == 'n' then redis.call('HINCRBY', KEYS[1], 'fbn', 1) end
        if ARGV[3] == '-' then redis.call('HDEL', KEYS[3], ARGV[2]) else redis.call('HSET', KEYS[3], ARGV[2], ARGV[3]) end
        redis.call('HSET', KEYS[1], 'ut', ARGV[4])
        """ + "\n" + Unpack + Log(seq: 4, log: 5, kind: "'f'", logMax: "ARGV[5]") + """
        return {1, seq}
        """;

    private static string Log(int seq, int log, string kind, string logMax) =>
        "\n" + AppendLog
            .Replace("KEYS[SEQ]", $"KEYS[{seq}]", StringComparison.Ordinal)
            .Replace("KEYS[LOG]", $"KEYS[{log}]", StringComparison.Ordinal)
            .Replace("KIND", kind, StringComparison.Ordinal)
            .Replace("ID", "ARGV[1]", StringComparison.Ordinal)
            .Replace("SIG", "sig", StringComparison.Ordinal)
            .Replace("VAL", "val", StringComparison.Ordinal)
            .Replace("LOGMAX", logMax, StringComparison.Ordinal) + "\n";
}
