using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace HashForum.Storage.Internal;

/// <summary>
/// <see cref="IHashStore"/> on StackExchange.Redis. The same code runs against a single Redis, a Redis Cluster and
/// the embedded Garnet: every command and script touches one partition's hash tag only.
/// </summary>
internal sealed class RedisHashStore : IHashStore
{
    private const int MaxLabels = 32;
    private const int MaxLabelLength = 64;
    private const int MaxNoteLength = 4096;
    private const int MaxReferenceLength = 512;
    private const int MaxMemberLength = 128;

    /// <summary>
    /// Records per write script: large enough to spread the per-command cost (and Garnet's per-command AOF commit),
    /// small enough that one script blocks the server for a few milliseconds at most.
    /// </summary>
    private const int ScriptBatch = 256;

    /// <summary>
    /// Write scripts in flight at once: enough to keep the server busy while the client builds and reads batches,
    /// few enough to bound the memory of a huge call.
    /// </summary>
    private const int ScriptsInFlight = 16;

    /// <summary>Active-records buckets read at once during a load.</summary>
    private const int LoadInFlight = 16;

    private readonly IDatabase _db;
    private readonly ScriptRunner _scripts;
    private readonly ISubscriber _subscriber;
    private readonly HashForumStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _endpoints;
    private readonly RedisChannel _channel = RedisChannel.Literal(StoreKeys.ChangesChannel);
    private volatile int _partitions;

    public RedisHashStore(StoreConnection connection, HashForumStoreOptions options, TimeProvider? time = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        _db = connection.Multiplexer.GetDatabase();
        _scripts = new ScriptRunner(connection.Multiplexer);
        _subscriber = connection.Multiplexer.GetSubscriber();
        _endpoints = connection.Endpoints;
        _options = options;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Calls <paramref name="wake"/> on every change notification (StackExchange.Redis resubscribes after reconnects).</summary>
    public Task SubscribeAsync(Action wake) =>
        Guard(() => _subscriber.SubscribeAsync(_channel, (_, _) => wake()));

    /// <summary>
    /// The partition count: the one stored in the store, or the configured one, stored now if the store is new; refuses a
    /// store written in an earlier layout.
    /// </summary>
    public async Task<int> GetPartitionsAsync()
    {
        if (_partitions > 0)
        {
            return _partitions;
        }

        // Racing first calls run the same atomic script and agree on the answer: no lock needed.
        var configured = _options.Partitions;
        var meta = (RedisResult[])(await Guard(() => _scripts.EvaluateAsync(
            _db, StoreScripts.Meta, [StoreKeys.PartitionsKey, StoreKeys.LayoutKey], [configured, StoreKeys.Layout])).ConfigureAwait(false))!;
        var stored = int.TryParse((string?)meta[0], NumberStyles.None, CultureInfo.InvariantCulture, out var count) ? count : 0;
        if (stored is < 1 or > RecordIds.MaxPartitions)
        {
            throw new InvalidOperationException($"The store says it has '{(string?)meta[0]}' partitions; that is not a HashForum store.");
        }

        if ((string?)meta[1] != StoreKeys.Layout)
        {
            throw new StoreLayoutException(
                $"The store at {_endpoints} holds records in the layout of an earlier HashForum build (one key a record), which " +
                "this build does not read. Export the records with the build that wrote them (hashforum export), then import " +
                "them into an empty store (hashforum import).");
        }

        if (stored != configured)
        {
            StorageLog.PartitionMismatch(_logger, stored, configured);
        }

        await Guard(_scripts.LoadAllAsync).ConfigureAwait(false);
        _partitions = stored;
        return stored;
    }

    public async Task<ContributeResult> ContributeAsync(Contribution contribution, CancellationToken cancellationToken = default)
    {
        var results = await ContributeManyAsync([contribution], cancellationToken).ConfigureAwait(false);
        var record = await GetAsync(results[0].Id, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Record {results[0].Id} vanished right after it was written.");
        return new ContributeResult(record, results[0].Created);
    }

    /// <summary>
    /// One round to reserve record numbers (one INCRBY per partition touched, for every distinct item: an item that
    /// turns out to exist leaves a gap in the ids, which is allowed), then one write script per batch of up to
    /// <see cref="ScriptBatch"/> items of one partition, <see cref="ScriptsInFlight"/> at a time. The script does the
    /// idempotency check itself, atomically with the write, so there is no separate read round and a race with
    /// another writer cannot create a second record.
    /// </summary>
    public async Task<IReadOnlyList<BulkContributeResult>> ContributeManyAsync(
        IReadOnlyList<Contribution> contributions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(contributions);
        var partitions = await GetPartitionsAsync().ConfigureAwait(false);
        var now = Now();
        var items = new Item[contributions.Count];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = Item.From(contributions[i], partitions, now);
        }

        // Duplicates within the call: only the first of each (signal, value, member) goes to the store.
        var firstOf = new Dictionary<(string ValueKey, string Member), int>(items.Length);
        var byPartition = new List<int>?[partitions];
        var duplicates = false;
        for (var i = 0; i < items.Length; i++)
        {
            if (firstOf.TryAdd((items[i].ValueKey, items[i].Member), i))
            {
                (byPartition[items[i].Partition] ??= []).Add(i);
            }
            else
            {
                duplicates = true;
            }
        }

        var results = new BulkContributeResult[items.Length];
        await Guard(() => WriteAsync(items, byPartition, results, cancellationToken)).ConfigureAwait(false);
        if (duplicates)
        {
            for (var i = 0; i < items.Length; i++)
            {
                var first = firstOf[(items[i].ValueKey, items[i].Member)];
                if (first != i)
                {
                    results[i] = results[first] with { Created = false };
                }
            }
        }

        return results;
    }

    private async Task WriteAsync(Item[] items, List<int>?[] byPartition, BulkContributeResult[] results, CancellationToken cancellationToken)
    {
        var partitions = byPartition.Length;
        var reserved = new Task<long>?[partitions];
        for (var p = 0; p < partitions; p++)
        {
            if (byPartition[p] is { } list)
            {
                reserved[p] = _db.StringIncrementAsync(StoreKeys.Ids(p), list.Count);
            }
        }

        var next = new long[partitions];
        for (var p = 0; p < partitions; p++)
        {
            if (reserved[p] is { } range)
            {
                next[p] = await range.ConfigureAwait(false) - byPartition[p]!.Count + 1;
            }
        }

        var logLength = _options.ChangeLogLength.ToString(CultureInfo.InvariantCulture);
        var inFlight = new Queue<(int Partition, List<int> Items, int From, int Count, Task<RedisResult> Write)>(ScriptsInFlight);
        for (var p = 0; p < partitions; p++)
        {
            if (byPartition[p] is not { } list)
            {
                continue;
            }

            for (var from = 0; from < list.Count; from += ScriptBatch)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var count = Math.Min(ScriptBatch, list.Count - from);
                var keys = new RedisKey[2 + (2 * count)];
                var values = new RedisValue[1 + (4 * count)];
                keys[0] = StoreKeys.Sequence(p);
                keys[1] = StoreKeys.Log(p);
                values[0] = logLength;
                var (bucket, bucketKey) = (-1L, default(RedisKey));
                for (var k = 0; k < count; k++)
                {
                    var item = items[list[from + k]];
                    var id = RecordIds.Compose(next[p]++, p);
                    if (StoreKeys.BucketOf(id) != bucket)
                    {
                        (bucket, bucketKey) = (StoreKeys.BucketOf(id), StoreKeys.Bucket(id));
                    }

                    var text = id.ToString(CultureInfo.InvariantCulture);
                    keys[2 + (2 * k)] = item.ValueKey;
                    keys[3 + (2 * k)] = bucketKey;
                    var a = 1 + (4 * k);
                    values[a] = item.Member;
                    values[a + 1] = text;
                    values[a + 2] = item.Packed;
                    values[a + 3] = string.Concat("a|", text, "|", item.SignalName, "|", item.Value);
                }

                if (inFlight.Count == ScriptsInFlight)
                {
                    await CompleteAsync(inFlight.Dequeue()).ConfigureAwait(false);
                }

                inFlight.Enqueue((p, list, from, count, _scripts.EvaluateAsync(_db, StoreScripts.Contribute, keys, values)));
            }
        }

        while (inFlight.Count > 0)
        {
            await CompleteAsync(inFlight.Dequeue()).ConfigureAwait(false);
        }

        async Task CompleteAsync((int Partition, List<int> Items, int From, int Count, Task<RedisResult> Write) batch)
        {
            var reply = (RedisResult[])(await batch.Write.ConfigureAwait(false))!;
            var created = false;
            for (var k = 0; k < batch.Count; k++)
            {
                var isNew = (long)reply[2 * k] == 1;
                results[batch.Items[batch.From + k]] = new BulkContributeResult((long)reply[(2 * k) + 1], isNew);
                created |= isNew;
            }

            if (created)
            {
                await PublishAsync(batch.Partition).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The wake-up is an optimisation (followers also poll): a failed publish is not a failed write.</summary>
    private async Task PublishAsync(int partition)
    {
        try
        {
            await _subscriber.PublishAsync(_channel, partition).ConfigureAwait(false);
        }
        catch (RedisException)
        {
        }
    }

    public async Task<HashRecord?> GetAsync(long id, CancellationToken cancellationToken = default)
    {
        var partitions = await GetPartitionsAsync().ConfigureAwait(false);
        if (!RecordIds.IsValid(id, partitions))
        {
            return null;
        }

        return await Guard(() => ReadAsync(id)).ConfigureAwait(false);
    }

    /// <summary>A record: its packed data from its bucket (absent once retracted) and its overlay, in one round.</summary>
    private async Task<HashRecord?> ReadAsync(long id)
    {
        var packed = _db.HashGetAsync(StoreKeys.Bucket(id), id);
        var overlay = _db.HashGetAllAsync(StoreKeys.Overlay(id));
        return RecordFields.Parse(id, (byte[]?)await packed.ConfigureAwait(false), await overlay.ConfigureAwait(false));
    }

    public async Task<IReadOnlyList<HashRecord>> FindByValueAsync(SignalType signal, string value, CancellationToken cancellationToken = default)
    {
        var partitions = await GetPartitionsAsync().ConfigureAwait(false);
        var canonical = signal.NormalizeValue(value);
        var partition = RecordIds.PartitionOfValue(signal, canonical, partitions);
        var ids = await Guard(() => _db.HashValuesAsync(StoreKeys.Value(partition, signal, canonical))).ConfigureAwait(false);
        var records = await Guard(() => Task.WhenAll(ids.Select(id => ReadAsync((long)id)))).ConfigureAwait(false);
        return [.. records.OfType<HashRecord>().OrderBy(r => r.Id)];
    }

    public async Task<HashRecord?> RetractAsync(long id, string member, CancellationToken cancellationToken = default)
    {
        var partitions = await GetPartitionsAsync().ConfigureAwait(false);
        ValidateMember(member);
        if (!RecordIds.IsValid(id, partitions))
        {
            return null;
        }

        var p = RecordIds.PartitionOf(id);
        return await MutateAsync(
            id,
            StoreScripts.Retract,
            [StoreKeys.Overlay(id), StoreKeys.Bucket(id), StoreKeys.Sequence(p), StoreKeys.Log(p)],
            [id, member, Now(), _options.ChangeLogLength]).ConfigureAwait(false);
    }

    public async Task<HashRecord?> RelabelAsync(long id, IReadOnlyList<string> labels, CancellationToken cancellationToken = default)
    {
        var partitions = await GetPartitionsAsync().ConfigureAwait(false);
        var joined = JoinLabels(labels);
        if (!RecordIds.IsValid(id, partitions))
        {
            return null;
        }

        var p = RecordIds.PartitionOf(id);
        return await MutateAsync(
            id,
            StoreScripts.Relabel,
            [StoreKeys.Overlay(id), StoreKeys.Bucket(id), StoreKeys.Sequence(p), StoreKeys.Log(p)],
            [id, joined, Now(), _options.ChangeLogLength]).ConfigureAwait(false);
    }

    public async Task<HashRecord?> SetFeedbackAsync(long id, string member, FeedbackOpinion opinion, CancellationToken cancellationToken = default)
    {
        var partitions = await GetPartitionsAsync().ConfigureAwait(false);
        ValidateMember(member);
        var code = opinion switch
        {
            FeedbackOpinion.None => "-",
            FeedbackOpinion.Positive => "p",
            FeedbackOpinion.Negative => "n",
            _ => throw new ArgumentOutOfRangeException(nameof(opinion), opinion, "Feedback is None, Positive or Negative."),
        };
        if (!RecordIds.IsValid(id, partitions))
        {
            return null;
        }

        var p = RecordIds.PartitionOf(id);
        return await MutateAsync(
            id,
            StoreScripts.Feedback,
            [StoreKeys.Overlay(id), StoreKeys.Bucket(id), StoreKeys.Feedback(id), StoreKeys.Sequence(p), StoreKeys.Log(p)],
            [id, member, code, Now(), _options.ChangeLogLength]).ConfigureAwait(false);
    }

    private async Task<HashRecord?> MutateAsync(long id, string script, RedisKey[] keys, RedisValue[] values)
    {
        var reply = (RedisResult[])(await Guard(() => _scripts.EvaluateAsync(_db, script, keys, values)).ConfigureAwait(false))!;
        var outcome = (long)reply[0];
        if (outcome < 0)
        {
            return null;
        }

        if (outcome > 0)
        {
            await PublishAsync(RecordIds.PartitionOf(id)).ConfigureAwait(false);
        }

        return await GetAsync(id).ConfigureAwait(false);
    }

    public async Task<StoreCursor> GetHeadAsync(CancellationToken cancellationToken = default)
    {
        var partitions = await GetPartitionsAsync().ConfigureAwait(false);
        var reads = new Task<RedisValue>[partitions];
        for (var p = 0; p < partitions; p++)
        {
            reads[p] = _db.StringGetAsync(StoreKeys.Sequence(p));
        }

        var values = await Guard(() => Task.WhenAll(reads)).ConfigureAwait(false);
        return new StoreCursor([.. values.Select(v => v.IsNull ? 0L : (long)v)]);
    }

    public async Task<ChangeBatch> ReadChangesAsync(StoreCursor after, int maxPerPartition = 1000, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(after);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPerPartition, 1);
        var partitions = await GetPartitionsAsync().ConfigureAwait(false);
        if (after.Partitions != partitions)
        {
            throw new ArgumentException($"The cursor covers {after.Partitions} partitions; the store has {partitions}.", nameof(after));
        }

        var heads = new Task<RedisValue>[partitions];
        var pages = new Task<SortedSetEntry[]>[partitions];
        for (var p = 0; p < partitions; p++)
        {
            // Head first: an entry written between the two reads is then simply read next time.
            heads[p] = _db.StringGetAsync(StoreKeys.Sequence(p));
            // Sequences are integers: "from after + 1, inclusive" rather than an exclusive bound, which Garnet ignores.
            // A page is a range of sequence numbers (a member holds a whole batch: counting members would not bound
            // the entries); a batch that starts inside the range is read whole.
            pages[p] = _db.SortedSetRangeByScoreWithScoresAsync(StoreKeys.Log(p), after[p] + 1, after[p] + maxPerPartition);
        }

        await Guard(() => Task.WhenAll(Task.WhenAll(heads), Task.WhenAll(pages))).ConfigureAwait(false);
        var cursor = after.ToArray();
        var entries = new List<ChangeEntry>();
        var more = false;
        for (var p = 0; p < partitions; p++)
        {
            var head = heads[p].Result.IsNull ? 0L : (long)heads[p].Result;
            var page = pages[p].Result;
            if (head < after[p])
            {
                return new ChangeBatch([], after, reloadRequired: true, more: false); // the store went back in time
            }

            if (page.Length == 0)
            {
                if (head > after[p])
                {
                    return new ChangeBatch([], after, reloadRequired: true, more: false); // log gone or trimmed past us
                }

                continue;
            }

            var from = entries.Count;
            foreach (var member in page)
            {
                ChangeLogFormat.ParseInto(p, member.Element!, (long)member.Score, entries);
            }

            if (entries[from].Sequence != after[p] + 1)
            {
                return new ChangeBatch([], after, reloadRequired: true, more: false); // trimmed past us
            }

            cursor[p] = entries[^1].Sequence;
            more |= cursor[p] < head;
        }

        return new ChangeBatch(entries, new StoreCursor(cursor), reloadRequired: false, more);
    }

    public async Task<StoreCursor> LoadActiveAsync(IChangeSink sink, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sink);
        var stopwatch = Stopwatch.StartNew();
        StorageLog.LoadStarted(_logger);
        var head = await GetHeadAsync(cancellationToken).ConfigureAwait(false);
        var partitions = head.Partitions;
        var counters = new Task<RedisValue>[partitions];
        for (var p = 0; p < partitions; p++)
        {
            counters[p] = _db.StringGetAsync(StoreKeys.Ids(p));
        }

        await Guard(() => Task.WhenAll(counters)).ConfigureAwait(false);

        // The record buckets of each partition (record numbers 1..counter; they hold the active records), one HGETALL
        // each (at most BucketSize entries), LoadInFlight at a time, handed to the sink in order: memory stays bounded.
        var buckets = new List<(int Partition, long Bucket)>();
        for (var p = 0; p < partitions; p++)
        {
            var last = counters[p].Result.IsNull ? 0L : (long)counters[p].Result;
            for (var bucket = 0L; bucket <= last / StoreKeys.BucketSize && last > 0; bucket++)
            {
                buckets.Add((p, bucket));
            }
        }

        sink.BeginLoad();
        var inFlight = new Queue<(int Partition, Task<HashEntry[]> Read)>();
        var next = 0;
        long loaded = 0;
        var batch = new ChangeEntry[StoreKeys.BucketSize];
        while (next < buckets.Count || inFlight.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            while (next < buckets.Count && inFlight.Count < LoadInFlight)
            {
                var (p, bucket) = buckets[next++];
                inFlight.Enqueue((p, _db.HashGetAllAsync(StoreKeys.Bucket(p, bucket))));
            }

            var (partition, read) = inFlight.Dequeue();
            var entries = await Guard(() => read).ConfigureAwait(false);
            var filled = 0;
            foreach (var entry in entries)
            {
                if (!PackedRecord.TryDecodeValue((byte[])entry.Value!, out var signal, out var value))
                {
                    throw new FormatException($"Record {(long)entry.Name} of partition {partition} is not a packed record.");
                }

                batch[filled++] = new ChangeEntry(partition, 0, ChangeKind.Added, (long)entry.Name, signal, value);
            }

            sink.Load(batch.AsSpan(0, filled));
            loaded += filled;
        }

        sink.EndLoad();
        StorageLog.LoadCompleted(_logger, loaded, stopwatch.ElapsedMilliseconds);
        return head;
    }

    private string Now() => _time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);

    private async Task<T> Guard<T>(Func<Task<T>> operation)
    {
        try
        {
            return await operation().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisConnectionException or RedisTimeoutException or ObjectDisposedException)
        {
            throw new StoreUnavailableException(
                $"The record store at {_endpoints} is unreachable ({ex.GetType().Name}); writes are refused until it returns.", ex);
        }
    }

    private async Task Guard(Func<Task> operation) =>
        await Guard(async () =>
        {
            await operation().ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);

    internal static void ValidateMember(string member)
    {
        if (string.IsNullOrWhiteSpace(member) || member.Length > MaxMemberLength || member.Any(char.IsControl))
        {
            throw new ArgumentException($"A member id is 1 to {MaxMemberLength} printable characters.", nameof(member));
        }
    }

    internal static string JoinLabels(IReadOnlyList<string>? labels)
    {
        if (labels is null || labels.Count == 0)
        {
            return string.Empty;
        }

        if (labels.Count > MaxLabels)
        {
            throw new ArgumentException($"At most {MaxLabels} labels; got {labels.Count}.", nameof(labels));
        }

        foreach (var label in labels)
        {
            if (string.IsNullOrWhiteSpace(label) || label.Length > MaxLabelLength || label.Contains(',', StringComparison.Ordinal) || label.Any(char.IsControl))
            {
                throw new ArgumentException($"A label is 1 to {MaxLabelLength} printable characters, no comma; got '{label}'.", nameof(labels));
            }
        }

        return labels.Count == 1 ? labels[0] : string.Join(',', labels.Distinct(StringComparer.Ordinal));
    }

    /// <summary>A validated contribution with its keys and arguments worked out.</summary>
    private readonly struct Item
    {
        public required int Partition { get; init; }
        public required string ValueKey { get; init; }
        public required string Member { get; init; }

        /// <summary>The record's creation data (<see cref="PackedRecord"/>).</summary>
        public required byte[] Packed { get; init; }

        /// <summary>The signal's wire name and the canonical value, for the log line.</summary>
        public required string SignalName { get; init; }

        public required string Value { get; init; }

        public static Item From(Contribution c, int partitions, string now)
        {
            ArgumentNullException.ThrowIfNull(c);
            if (!Enum.IsDefined(c.Signal))
            {
                throw new ArgumentException($"Unknown signal type {(int)c.Signal}.", nameof(c));
            }

            ValidateMember(c.Member);
            var value = c.Signal.NormalizeValue(c.Value);
            if (c.Quality is { } q && (c.Signal != SignalType.Pdq || q is < 0 or > 100))
            {
                throw new ArgumentException("Quality is 0 to 100, and only for pdq.", nameof(c));
            }

            if (c.Note is { Length: > MaxNoteLength })
            {
                throw new ArgumentException($"A note is at most {MaxNoteLength} characters.", nameof(c));
            }

            if (c.Reference is { Length: > MaxReferenceLength })
            {
                throw new ArgumentException($"A reference is at most {MaxReferenceLength} characters.", nameof(c));
            }

            var partition = RecordIds.PartitionOfValue(c.Signal, value, partitions);
            return new Item
            {
                Partition = partition,
                ValueKey = StoreKeys.Value(partition, c.Signal, value),
                Member = c.Member,
                Packed = PackedRecord.Encode(
                    c.Signal,
                    value,
                    c.Member,
                    now,
                    c.Quality?.ToString(CultureInfo.InvariantCulture) ?? string.Empty,
                    JoinLabels(c.Labels),
                    c.Note ?? string.Empty,
                    c.Reference ?? string.Empty),
                SignalName = c.Signal.ToWireName(),
                Value = value,
            };
        }
    }
}
