using System.Runtime.InteropServices;
using HashForum.Hashing.Pdq;
using HashForum.Index.Internal;

namespace HashForum.Index;

/// <summary>
/// Exact in-memory near-match index for PDQ hashes: every stored id within a Hamming radius of a
/// query, never one beyond it, with adds and removes applied in place while searches run.
/// </summary>
/// <remarks>
/// <para><b>Search.</b> Radii 0..63 go through a multi-index (Norouzi et al.'s multi-index hashing with
/// the generalised pigeonhole principle): the 256 bits are cut into m contiguous chunks and the radius
/// r is shared out as per-chunk thresholds t_c with sum(t_c + 1) = r + 1, so any hash within r has some
/// chunk within t_c of the query. Each chunk is probed for every variant of its top bits within t_c,
/// runs are filtered on the remaining chunk bits held in the entry, and candidates are checked in full.
/// A match is reported only through its first qualifying chunk, so no visited set is needed. Radii of
/// 64 and more, segments under 4096 values, the tail, and any radius whose estimated probe cost
/// exceeds a scan use the AVX2 linear scan, which is also the test oracle.</para>
/// <para><b>Chunking, by measurement</b> (<c>hashforum bench index --count 1000000 --queries 1000</c>:
/// realistic 128-one-bit hashes with 1% near-duplicates, radius 31, one core of the shared 2-core
/// EPYC KVM guest; per query: prefix probes outside chunk 0, candidates fetched, p50; timings are
/// noisy, ±30%, as other builds shared the machine):
/// <code>
/// chunks  widths   probes  candidates  hashes read in chunk 0  bytes/hash  p50
///   10    26/25     2066       107          6375 (t0 = 3)          89.8     231 us
///   11    24/23     1540       305           137 (t0 = 1)          94.4     105 us
///   12    22/21     1286       772           138                   98.9     108 us
///   13    20/19      896      1224          1180                  103.4     139 us
///   16    16        255      3899           261                  112.8     215 us
/// </code>
/// (The 10- and 13-chunk rows were measured before chunk 0 was given the smaller threshold.)
/// Narrow chunks (16 x 16 bits, as in Meta's C++ MIH) drown in candidates, each a cache miss on a
/// random hash; wide ones drown in probe variants (C(p, t) grows fast). Random reads, not
/// instructions, set the cost here (measured on a 512 MB array on huge pages: ~22 ns a line with
/// many reads in flight, ~175 ns for dependent reads), so the search runs as a prefetching pipeline
/// and 11 chunks is the default from ~500k values. Chunk 0 is only as wide as its prefix (21 bits at
/// 10M values): its runs are read as whole hashes, so further chunk-0 bits filtered nothing, while the
/// other chunks, 3 bits wider between them, fetch 15% fewer candidates (10M, counted per query over
/// 100 queries: 2,953 -> 2,515 candidate hashes; 4,650 -> 4,211 distinct 4 KiB pages; dihedral
/// search 4-5% faster, interleaved A/B). At 10M values a query makes (counted) ~2.3k probes reading
/// ~1.7k lines of run offsets, ~2.4k lines of entries and ~2.5k candidate hashes. Since session 5,
/// runs carry marks that let most probes skip their run (see <see cref="Segment"/>), and chunk 0 is
/// capped at 18 bits (<c>Segment.MaxFirstChunkBits</c>): at 10M it then reads longer runs of whole
/// hashes in order so that eight of the other chunks are 24 bits wide instead of five.
/// More prefetches in flight are not better: batches of 16 probes beat 32 by 8% (before run marks;
/// now 24 is best, see <c>Segment.ProbeBatch</c>), and software
/// pipelines across batches gained nothing (see <c>Segment.SearchIndex</c>). Also measured and
/// dropped: runs laid out as an ordered linear-probing table read from a computed home (no offset
/// table, 4.7 instead of 4.8 bytes a value and chunk, ~1.4 lines a probe), 5-11% slower at 10M than
/// offsets plus runs (probably because its probes scan more entries and branch more), and
/// 32-byte-aligned run reads (within noise).</para>
/// <para><b>Also tried at 10M (session 4) and dropped</b>, each within about 2% of this layout in A/B runs whose
/// process-to-process noise was ±10%: run offsets kept as 16-bit words in a header in front of each block of 64
/// prefixes' entries, block starts in a small cached table (12% fewer distinct 4 KiB pages, 96 -> 91.9 bytes a hash);
/// chunk 0 at threshold 2 with a second 21-bit chunk at 1 (11% fewer pages, 1,994 candidates; 12% slower at 1M);
/// both together (23% fewer pages); all eight dihedral variants probed chunk by chunk; a branch-free run filter
/// (per-lane popcount, left-packed slots); 16 or 4 values a run. The guest's memory is mapped in 4 KiB pages by
/// the host (a second line of a 4 KiB page costs ~3 ns, of a 2 MiB page as much as a random one), and a query
/// repeated at once still costs 120 of its 205 us: address translation and latency, which fewer pages did not
/// visibly reduce.</para>
/// <para><b>Session 5</b> (10M, 8 variants; A/B on one index where the change is a search-time switch, else
/// interleaved in both build orders). Where the time goes: cpu-clock samples sit on the prefetch of each
/// stage (offsets, runs, candidates) and the load after it, and a microbenchmark of the same access pattern
/// over arrays of the same sizes with no index logic (2,300 probes reading an offset and then a random
/// entry line, 2,300 random 32-byte reads) takes 180 us, as much as a query did: the search is bound by
/// the guest's random-access throughput (~36 ns a candidate, ~44 ns a two-level probe), so only fewer
/// random lines help, or lines that do not evict what is reused. Kept: run marks (-10%) and chunk 0 capped at
/// 18 bits (-4.5%), see above; probe batches of 24 (-5% against 16 once marks thinned the batches);
/// non-temporal prefetches for the lines a query reads once (-8%, see <c>Segment.PrefetchOnce</c>). Measured and dropped: a software pipeline
/// that prefetches the next batch's offsets before filtering this one (within 1%); runs of 16-64 values
/// (p 18-20: fewer probes, longer runs; 5-30% slower with or without prefetching every run line);
/// candidate verification against a separate 16-byte half-hash array (slower); chunk 0 at 16 bits (within
/// 1.5% of 18); prefetching only the first lines of chunk-0 runs (within 1%). Sorting a dihedral search's
/// ~20k candidate reads by address makes them ~40% cheaper (better translation locality), but in a
/// microbenchmark the counting sort cost as much as it saved.</para>
/// <para><b>Measuring.</b> Two indexes built in one process are not alike: the second gets fewer
/// transparent huge pages (AnonHugePages after a 10M build: 819 MB, after a second one only +580 MB)
/// and searched ~11% slower with the same code. A/B comparisons of search code are therefore made on
/// one index, switching the code per query through a temporary flag, each query timed cold in each
/// mode (not back to back: the second run of a query finds its ~500 KB of lines in L3).</para>
/// <para><b>Memory.</b> Per distinct hash: 32 bytes of limbs, 8 bytes of id, and for each chunk but the
/// first one packed <c>uint</c> (slot above the low chunk bits) plus about half a byte of prefix table
/// (chunk 0 needs no entries: the hashes themselves are stored in chunk-0 order); about 6.7 bytes of id
/// map per id. At 10M realistic hashes that is 96 bytes a hash, summed from array lengths. No object
/// per hash: a segment is a handful of large arrays, so the GC has nothing to walk. Equal hashes are
/// stored once per segment (the ids of a value are grouped); a hash added again later lives in the
/// newer segment too until the segments merge.</para>
/// <para><b>Concurrency.</b> One writer lock serialises Add/Remove; readers take no lock. The state is an
/// immutable <c>Snapshot</c> (segment list, tail length, version) swapped in with one volatile write
/// after each change. Additions go to an append-only tail beyond the length readers know; removals
/// stamp the id entry with the new version before it is published, and a reader treats an entry as live
/// when its stamp is above the reader's version. A search therefore sees exactly the state of one
/// version, however long it runs, and never waits. When the tail fills it becomes a segment, and
/// segments merge log-structured (a newer segment is merged into its older neighbour once it reaches a
/// quarter of its size), so each hash is rebuilt O(log n) times; a segment with over a quarter of its ids
/// removed is rebuilt without them. Rebuilds run on the writer's thread, under the writer lock, while
/// readers keep using the old segments.</para>
/// </remarks>
public sealed class PdqIndex
{
    /// <summary>Largest radius that can be asked for (the whole hash).</summary>
    public const int MaxRadius = Hash256.Bits;

    private const int TailKey = IdMap.KeyCount - 1;
    private const int MergeRatio = 4;

    private readonly Lock _writeLock = new();
    private readonly IIdSource?[] _sources = new IIdSource?[IdMap.KeyCount];
    private readonly List<Segment> _segments = [];
    private readonly Dictionary<Segment, int> _keyOf = [];
    private readonly IdMap _ids;
    private Tail _tail = new();
    private long _version;
    private Snapshot _snapshot;

    /// <summary>An empty index.</summary>
    public PdqIndex()
        : this(0)
    {
    }

    private PdqIndex(int expected)
    {
        _ids = new IdMap(_sources, expected);
        _sources[TailKey] = _tail;
        _snapshot = new Snapshot([], _tail, 0, 0, 0);
    }

    /// <summary>Ids stored (as of the latest change).</summary>
    public int Count => Volatile.Read(ref _snapshot).Count;

    /// <summary>
    /// Builds an index from many (id, hash) pairs at once: the start-up path for millions of hashes.
    /// </summary>
    /// <exception cref="ArgumentException">The spans differ in length or an id repeats.</exception>
    public static PdqIndex Build(ReadOnlySpan<long> ids, ReadOnlySpan<Hash256> hashes)
    {
        var index = new PdqIndex(ids.Length);
        index.AddRange(ids, hashes);
        return index;
    }

    /// <summary>Adds many (id, hash) pairs as one change, built as one segment.</summary>
    /// <exception cref="ArgumentException">The spans differ in length, or an id repeats or is already present; nothing is added.</exception>
    public void AddRange(ReadOnlySpan<long> ids, ReadOnlySpan<Hash256> hashes)
    {
        if (ids.Length != hashes.Length)
        {
            throw new ArgumentException($"{ids.Length} ids but {hashes.Length} hashes", nameof(hashes));
        }

        if (ids.Length >= IdMap.MaxEntries)
        {
            throw new ArgumentException($"at most {IdMap.MaxEntries - 1} ids can be added at once", nameof(ids));
        }

        if (ids.IsEmpty)
        {
            return;
        }

        lock (_writeLock)
        {
            if (ids.Length < Tail.Capacity / 4)
            {
                AddSmallBatch(ids, hashes);
                return;
            }

            var segment = Segment.Build(ids, hashes);
            var key = FreeKey();
            _sources[key] = segment;
            var clash = _ids.TryAddAll(segment, key, segment.IdCount);
            if (clash >= 0)
            {
                for (var undo = 0; undo < clash; undo++)
                {
                    _ids.Remove(segment.IdAt(undo));
                }

                _sources[key] = null;
                throw new ArgumentException($"id {segment.IdAt(clash)} is given twice or already present", nameof(ids));
            }

            _keyOf[segment] = key;
            InsertBySize(segment);
            _version++;
            Publish();
            Compact();
        }
    }

    /// <summary>Adds one id with its hash; false (and no change) if the id is already present.</summary>
    public bool Add(long id, Hash256 hash)
    {
        lock (_writeLock)
        {
            if (_ids.Find(id) >= 0)
            {
                return false;
            }

            AppendToTail(id, hash);
            _version++;
            Publish();
            return true;
        }
    }

    /// <summary>Removes an id; false if it was not present.</summary>
    public bool Remove(long id)
    {
        lock (_writeLock)
        {
            var location = _ids.Remove(id);
            if (location < 0)
            {
                return false;
            }

            var version = _version + 1;
            var key = IdMap.KeyOf(location);
            var entry = IdMap.EntryOf(location);
            if (key == TailKey)
            {
                _tail.MarkRemoved(entry, version);
            }
            else
            {
                ((Segment)_sources[key]!).MarkRemoved(entry, version);
            }

            _version = version;
            Publish();
            if (key != TailKey)
            {
                var segment = (Segment)_sources[key]!;
                if (segment.RemovedCount * 4L > segment.IdCount)
                {
                    Rebuild([segment]);
                }
            }

            return true;
        }
    }

    /// <summary>Whether the id is stored (takes the writer lock briefly).</summary>
    public bool Contains(long id)
    {
        lock (_writeLock)
        {
            return _ids.Find(id) >= 0;
        }
    }

    /// <summary>
    /// Bytes held by the index's arrays (hashes, ids, multi-index entries and prefix tables, id map,
    /// tail), summed from array lengths.
    /// </summary>
    public long ArrayBytes
    {
        get
        {
            lock (_writeLock)
            {
                var bytes = Tail.ArrayBytes + _ids.ArrayBytes;
                foreach (var segment in _segments)
                {
                    bytes += segment.ArrayBytes;
                }

                return bytes;
            }
        }
    }

    /// <summary>Every stored id within <paramref name="maxDistance"/> of the query, by distance then id.</summary>
    public IReadOnlyList<IndexMatch> Search(Hash256 query, int maxDistance)
    {
        var results = new List<IndexMatch>();
        Search(query, maxDistance, results);
        return results;
    }

    /// <summary>
    /// Fills <paramref name="results"/> (cleared first) with every stored id within
    /// <paramref name="maxDistance"/> of the query, by distance then id. Allocates nothing once the
    /// list has grown to its working size.
    /// </summary>
    public void Search(Hash256 query, int maxDistance, List<IndexMatch> results) =>
        Search(query, maxDistance, results, SearchMode.Auto);

    /// <summary>
    /// Searches with several query hashes at once (typically the 8 dihedral variants of one image) and
    /// reports each matching id once, with its best distance and the first query reaching it.
    /// </summary>
    public IReadOnlyList<IndexMatch> SearchMany(ReadOnlySpan<Hash256> queries, int maxDistance)
    {
        var results = new List<IndexMatch>();
        SearchMany(queries, maxDistance, results);
        return results;
    }

    /// <summary>Allocation-free form of <see cref="SearchMany(ReadOnlySpan{Hash256}, int)"/>; clears <paramref name="results"/> first.</summary>
    public void SearchMany(ReadOnlySpan<Hash256> queries, int maxDistance, List<IndexMatch> results) =>
        SearchMany(queries, maxDistance, results, SearchMode.Auto);

    /// <summary>The same answer as <see cref="Search(Hash256, int, List{IndexMatch})"/> by linear scan of every hash: the baseline.</summary>
    public void SearchLinear(Hash256 query, int maxDistance, List<IndexMatch> results) =>
        Search(query, maxDistance, results, SearchMode.Scan);

    /// <summary>The same answer as <see cref="SearchMany(ReadOnlySpan{Hash256}, int, List{IndexMatch})"/> by linear scan.</summary>
    public void SearchManyLinear(ReadOnlySpan<Hash256> queries, int maxDistance, List<IndexMatch> results) =>
        SearchMany(queries, maxDistance, results, SearchMode.Scan);

    internal void Search(Hash256 query, int maxDistance, List<IndexMatch> results, SearchMode mode)
    {
        var (snapshot, context) = BeginSearch(maxDistance, results);
        context.Hash = query;
        context.QueryIndex = 0;
        SearchOne(snapshot, context, results, mode);
        CollectionsMarshal.AsSpan(results).Sort(default(ByDistanceThenId));
    }

    internal void SearchMany(ReadOnlySpan<Hash256> queries, int maxDistance, List<IndexMatch> results, SearchMode mode)
    {
        var (snapshot, context) = BeginSearch(maxDistance, results);
        for (var q = 0; q < queries.Length; q++)
        {
            context.Hash = queries[q];
            context.QueryIndex = q;
            SearchOne(snapshot, context, results, mode);
        }

        // Keep one row per id: the smallest distance, then the first query.
        var span = CollectionsMarshal.AsSpan(results);
        span.Sort(default(ByIdThenDistance));
        var kept = 0;
        for (var i = 0; i < span.Length; i++)
        {
            if (kept == 0 || span[kept - 1].Id != span[i].Id)
            {
                span[kept++] = span[i];
            }
        }

        CollectionsMarshal.SetCount(results, kept);
        CollectionsMarshal.AsSpan(results).Sort(default(ByDistanceThenId));
    }

    /// <summary>Checks the arguments, empties the results and pins the snapshot every query of the search reads.</summary>
    private (Snapshot Snapshot, QueryContext Context) BeginSearch(int maxDistance, List<IndexMatch> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentOutOfRangeException.ThrowIfNegative(maxDistance);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxDistance, MaxRadius);
        results.Clear();
        var snapshot = Volatile.Read(ref _snapshot);
        var context = QueryContext.ForThisThread();
        context.Version = snapshot.Version;
        context.Radius = maxDistance;
        return (snapshot, context);
    }

    /// <summary>Distinct hash values held (a value shared by several ids counts once per segment).</summary>
    internal int ValueCount
    {
        get
        {
            var snapshot = Volatile.Read(ref _snapshot);
            var values = snapshot.TailCount;
            foreach (var segment in snapshot.Segments)
            {
                values += segment.ValueCount;
            }

            return values;
        }
    }

    /// <summary>
    /// Segments in the current snapshot. An index built in one go has one; adds made one by one form more
    /// (log-structured), and every segment and the tail add a little to each search.
    /// </summary>
    public int SegmentCount => Volatile.Read(ref _snapshot).Segments.Length;

    /// <summary>
    /// Whether a rebuild in one go (<see cref="CopyLive"/> then <see cref="Build"/>) would make searches
    /// cheaper by a worthwhile margin: more than one segment, or ids in the tail, holding together at
    /// least <paramref name="minimumShare"/> of the ids outside the largest segment. Measured at 1M ids
    /// grown by single adds: about 15% more CPU a search than the same ids built in one go.
    /// </summary>
    public bool IsFragmented(double minimumShare = 0.01)
    {
        var snapshot = Volatile.Read(ref _snapshot);
        if (snapshot.Count == 0 || (snapshot.Segments.Length <= 1 && snapshot.TailCount == 0))
        {
            return false;
        }

        var largest = 0;
        foreach (var segment in snapshot.Segments)
        {
            largest = Math.Max(largest, segment.IdCount);
        }

        return snapshot.Count - largest >= minimumShare * snapshot.Count;
    }

    /// <summary>
    /// Copies every stored (id, hash) pair, as of one version, into the lists (cleared first), for a
    /// rebuild elsewhere. Takes the writer lock while it copies (about 10 ms a million ids).
    /// </summary>
    public void CopyLive(List<long> ids, List<Hash256> hashes)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(hashes);
        ids.Clear();
        hashes.Clear();
        lock (_writeLock)
        {
            ids.EnsureCapacity(Count);
            hashes.EnsureCapacity(Count);
            foreach (var segment in _segments)
            {
                segment.CollectLive(_version, ids, hashes);
            }

            _tail.CollectLive(_version, ids, hashes);
        }
    }

    private static void SearchOne(Snapshot snapshot, QueryContext context, List<IndexMatch> results, SearchMode mode)
    {
        foreach (var segment in snapshot.Segments)
        {
            if (mode == SearchMode.Index)
            {
                segment.SearchIndexIfAny(context, results);
            }
            else
            {
                segment.Search(context, results, forceScan: mode == SearchMode.Scan);
            }
        }

        snapshot.Tail.Scan(context, snapshot.TailCount, results);
    }

    private void AddSmallBatch(ReadOnlySpan<long> ids, ReadOnlySpan<Hash256> hashes)
    {
        for (var i = 0; i < ids.Length; i++)
        {
            if (_ids.Find(ids[i]) >= 0 || ids[..i].Contains(ids[i]))
            {
                throw new ArgumentException($"id {ids[i]} is given twice or already present", nameof(ids));
            }
        }

        for (var i = 0; i < ids.Length; i++)
        {
            AppendToTail(ids[i], hashes[i]);
        }

        _version++;
        Publish();
    }

    private void AppendToTail(long id, in Hash256 hash)
    {
        if (_tail.IsFull)
        {
            FlushTail();
        }

        _ids.TryAdd(id, IdMap.Location(TailKey, _tail.Count));
        _tail.Append(id, hash);
    }

    /// <summary>Turns the full tail into a segment and starts an empty one (writer lock held).</summary>
    private void FlushTail()
    {
        var ids = new List<long>(_tail.Count);
        var hashes = new List<Hash256>(_tail.Count);
        _tail.CollectLive(_version, ids, hashes);
        var segment = Segment.Build(CollectionsMarshal.AsSpan(ids), CollectionsMarshal.AsSpan(hashes));
        Install(segment, []);
        _tail = new Tail();
        _sources[TailKey] = _tail;
        Publish();
        Compact();
    }

    /// <summary>Log-structured merging: a newer segment joins its older neighbour once it is a quarter of its size.</summary>
    private void Compact()
    {
        while (_segments.Count >= 2)
        {
            var last = _segments[^1];
            var previous = _segments[^2];
            if ((Live(last) * MergeRatio < Live(previous) && _segments.Count < IdMap.KeyCount - 2) ||
                (long)Live(last) + Live(previous) >= IdMap.MaxEntries)
            {
                break;
            }

            Rebuild([previous, last]);
        }
    }

    private static int Live(Segment segment) => segment.IdCount - segment.RemovedCount;

    /// <summary>Replaces <paramref name="old"/> by one segment of their live ids and publishes it.</summary>
    private void Rebuild(Segment[] old)
    {
        var total = 0;
        foreach (var segment in old)
        {
            total += Live(segment);
        }

        var ids = new List<long>(total);
        var hashes = new List<Hash256>(total);
        foreach (var segment in old)
        {
            segment.CollectLive(_version, ids, hashes);
        }

        if (ids.Count == 0)
        {
            foreach (var segment in old)
            {
                Release(segment);
            }

            Publish();
            return;
        }

        Install(Segment.Build(CollectionsMarshal.AsSpan(ids), CollectionsMarshal.AsSpan(hashes)), old);
        Publish();
    }

    /// <summary>Registers a new segment holding ids that live elsewhere now, repoints them, and drops <paramref name="old"/>.</summary>
    private void Install(Segment segment, Segment[] old)
    {
        var key = FreeKey();
        _sources[key] = segment;
        for (var e = 0; e < segment.IdCount; e++)
        {
            _ids.Move(segment.IdAt(e), IdMap.Location(key, e));
        }

        foreach (var segment1 in old)
        {
            Release(segment1);
        }

        _keyOf[segment] = key;
        InsertBySize(segment);
    }

    private void Release(Segment segment)
    {
        _sources[_keyOf[segment]] = null;
        _keyOf.Remove(segment);
        _segments.Remove(segment);
    }

    /// <summary>Keeps the segment list ordered largest (oldest) first.</summary>
    private void InsertBySize(Segment segment)
    {
        var at = _segments.Count;
        while (at > 0 && Live(_segments[at - 1]) < Live(segment))
        {
            at--;
        }

        _segments.Insert(at, segment);
    }

    private int FreeKey()
    {
        for (var key = 0; key < TailKey; key++)
        {
            if (_sources[key] is null)
            {
                return key;
            }
        }

        throw new InvalidOperationException("no free segment key; compaction should have prevented this");
    }

    private void Publish() =>
        Volatile.Write(ref _snapshot, new Snapshot([.. _segments], _tail, _tail.Count, _version, _ids.Count));

    /// <summary>What one search reads: everything a reader needs, fixed at one version.</summary>
    private sealed class Snapshot(Segment[] segments, Tail tail, int tailCount, long version, int count)
    {
        public Segment[] Segments { get; } = segments;

        public Tail Tail { get; } = tail;

        public int TailCount { get; } = tailCount;

        public long Version { get; } = version;

        public int Count { get; } = count;
    }

    private readonly struct ByDistanceThenId : IComparer<IndexMatch>
    {
        public int Compare(IndexMatch x, IndexMatch y)
        {
            var c = x.Distance.CompareTo(y.Distance);
            return c != 0 ? c : x.Id.CompareTo(y.Id);
        }
    }

    private readonly struct ByIdThenDistance : IComparer<IndexMatch>
    {
        public int Compare(IndexMatch x, IndexMatch y)
        {
            var c = x.Id.CompareTo(y.Id);
            if (c != 0)
            {
                return c;
            }

            c = x.Distance.CompareTo(y.Distance);
            return c != 0 ? c : x.QueryIndex.CompareTo(y.QueryIndex);
        }
    }
}

/// <summary>Which search path to take (tests force each one).</summary>
internal enum SearchMode
{
    Auto,
    Scan,
    Index,
}
