using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using HashForum.Hashing.Pdq;

namespace HashForum.Index.Internal;

/// <summary>
/// An immutable, bulk-built set of distinct hash values with their ids and a multi-index over them.
/// </summary>
/// <remarks>
/// <para>Layout (flat arrays, no object per hash): <c>_hashes</c> holds four limbs per value, values
/// ordered by the top bits of chunk 0 so that near-duplicates sit next to each other; <c>_ids</c> holds
/// the ids grouped by value, with <c>_idStart</c> only when some value has more than one id.</para>
/// <para>Per chunk, the values are radix-sorted by the top <c>p</c> bits of the chunk ("prefix"):
/// chunk c has 2^p + 1 run offsets from <c>_startPool[_startBase[c]]</c> and one <c>uint</c> entry per
/// value from <c>_entryPool[_entryBase[c]]</c>, packing the slot above as many of the remaining chunk
/// bits ("suffix") as fit. All chunks share one pool of each so that the pools are big enough for huge
/// pages (LargeArrays) even at 1M values. Chunk 0 has no entries: the slots themselves are in chunk-0
/// prefix order, so its runs are slot ranges. A probe for a prefix variant reads one short run of
/// entries and filters it on the suffix without touching the hashes, so only real candidates cost a
/// random access. p is chosen so a run holds about <see cref="TargetRunLength"/> values: the prefix
/// tables then cost about 4/8 of a byte per value and chunk.</para>
/// <para>Run marks: a run offset needs only as many bits as number the values (24 at 10M), so the
/// word's spare high bits mark which values of the suffix's low k bits (k up to 3) occur in the run.
/// Most probes of a radius-31 search have flipped their whole budget in the prefix and want one exact
/// suffix; when its mark is clear the run is not read at all (about half the runs of a 24-bit chunk,
/// a quarter of a 23-bit one). Same memory; at 10M values, A/B on one index: 8-variant search -10%,
/// single query -6.5%; at 1M -2%.</para>
/// <para>The only mutable state is <c>_removedAt</c>: the version at which each id was removed, written
/// by the single writer before it publishes that version, so a reader holding an older version still
/// sees the id (see <see cref="PdqIndex"/>).</para>
/// </remarks>
internal sealed class Segment : IIdSource
{
    /// <summary>Segments smaller than this are only ever scanned: an index would cost more than it saves.</summary>
    public const int MinIndexedValues = 4096;

    /// <summary>Values per prefix run; 8 keeps runs within one or two cache lines (measured against 4 and 16).</summary>
    public const int TargetRunLength = 8;

    private readonly ulong[] _hashes;
    private readonly long[] _ids;
    private readonly int[]? _idStart;
    private readonly ChunkLayout? _layout;
    private readonly int[] _prefixBits;
    private readonly int[] _suffixBits;
    private readonly int[] _startBase;
    private readonly int[] _entryBase;
    private readonly int[] _markBits;
    private int[] _startPool = [];
    private uint[] _entryPool = [];
    private long[]? _removedAt;

    private Segment(ulong[] hashes, long[] ids, int[]? idStart, ChunkLayout? layout)
    {
        _hashes = hashes;
        _ids = ids;
        _idStart = idStart;
        _layout = layout;
        var chunks = layout?.Count ?? 0;
        _prefixBits = new int[chunks];
        _suffixBits = new int[chunks];
        _startBase = new int[chunks];
        _entryBase = new int[chunks];
        _markBits = new int[chunks];
    }

    /// <summary>Distinct hash values.</summary>
    public int ValueCount => _hashes.Length / 4;

    /// <summary>Id entries, live or removed.</summary>
    public int IdCount => _ids.Length;

    /// <summary>Ids removed since the segment was built (writer only).</summary>
    public int RemovedCount { get; private set; }

    /// <summary>Chunks of the multi-index, or 0 for a scan-only segment.</summary>
    public int ChunkCount => _layout?.Count ?? 0;

    public long IdAt(int entry) => _ids[entry];

    /// <summary>Bytes held in this segment's arrays (what "bytes per hash" is measured from).</summary>
    public long ArrayBytes
    {
        get
        {
            long bytes = (_hashes.Length * 8L) + (_ids.Length * 8L) + ((_idStart?.Length ?? 0) * 4L) + ((_removedAt?.Length ?? 0) * 8L);
            return bytes + (_startPool.Length * 4L) + (_entryPool.Length * 4L);
        }
    }

    /// <summary>Whether the id entry is live for a reader at <paramref name="version"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsLive(int entry, long version)
    {
        var removedAt = Volatile.Read(ref _removedAt);
        return removedAt is null || removedAt[entry] > version;
    }

    /// <summary>Marks an id entry removed as of <paramref name="version"/> (writer only, before publishing it).</summary>
    public void MarkRemoved(int entry, long version)
    {
        var removedAt = _removedAt;
        if (removedAt is null)
        {
            removedAt = new long[_ids.Length];
            Array.Fill(removedAt, long.MaxValue);
            removedAt[entry] = version;
            Volatile.Write(ref _removedAt, removedAt);
        }
        else
        {
            Volatile.Write(ref removedAt[entry], version);
        }

        RemovedCount++;
    }

    /// <summary>Copies the ids and hashes live at <paramref name="version"/> into the lists (for a rebuild).</summary>
    public void CollectLive(long version, List<long> ids, List<Hash256> hashes)
    {
        for (var slot = 0; slot < ValueCount; slot++)
        {
            var (first, end) = IdRange(slot);
            for (var e = first; e < end; e++)
            {
                if (IsLive(e, version))
                {
                    ids.Add(_ids[e]);
                    hashes.Add(HashAt(slot));
                }
            }
        }
    }

    /// <summary>Builds a segment from id entries (ids distinct); equal hashes are stored once.</summary>
    public static Segment Build(ReadOnlySpan<long> ids, ReadOnlySpan<Hash256> hashes)
    {
        var count = ids.Length;
        if (hashes.Length != count)
        {
            throw new ArgumentException("ids and hashes must have the same length", nameof(hashes));
        }

        // 1. Distinct values, through an open-addressing table of first entries.
        var valueOfEntry = new int[count];
        var firstEntry = new int[count];
        var values = Dedupe(hashes, valueOfEntry, firstEntry);

        // 2. Choose the index shape for this size and order values by chunk 0's prefix, so that
        //    clusters of near-duplicates are contiguous (hot runs are then read sequentially).
        var layout = values >= MinIndexedValues ? ChooseLayout(values) : null;
        var slotOfValue = new int[values];
        int[]? chunk0Starts = null;
        if (layout is null)
        {
            for (var v = 0; v < values; v++)
            {
                slotOfValue[v] = v;
            }
        }
        else
        {
            var p0 = PrefixBitsFor(values, layout.Widths[0]);
            var keys = new uint[values];
            for (var v = 0; v < values; v++)
            {
                var h = hashes[firstEntry[v]];
                keys[v] = Bits.Field(h[0], h[1], h[2], h[3], layout.Offsets[0], layout.Widths[0]) >> (layout.Widths[0] - p0);
            }

            chunk0Starts = LargeArrays.Zeroed<int>((1 << p0) + 1);
            CountingOrder(keys, chunk0Starts, slotOfValue);
        }

        var limbs = LargeArrays.Uninitialized<ulong>(values * 4);
        for (var v = 0; v < values; v++)
        {
            var h = hashes[firstEntry[v]];
            var at = slotOfValue[v] * 4;
            limbs[at] = h[0];
            limbs[at + 1] = h[1];
            limbs[at + 2] = h[2];
            limbs[at + 3] = h[3];
        }

        // 3. Ids grouped by slot; the offsets array exists only when some hash has several ids.
        var idsBySlot = LargeArrays.Uninitialized<long>(count);
        int[]? idStart = null;
        if (values == count)
        {
            for (var e = 0; e < count; e++)
            {
                idsBySlot[slotOfValue[valueOfEntry[e]]] = ids[e];
            }
        }
        else
        {
            idStart = new int[values + 1];
            for (var e = 0; e < count; e++)
            {
                idStart[slotOfValue[valueOfEntry[e]] + 1]++;
            }

            for (var s = 0; s < values; s++)
            {
                idStart[s + 1] += idStart[s];
            }

            var fill = idStart.AsSpan(0, values).ToArray();
            for (var e = 0; e < count; e++)
            {
                idsBySlot[fill[slotOfValue[valueOfEntry[e]]]++] = ids[e];
            }
        }

        var segment = new Segment(limbs, idsBySlot, idStart, layout);
        if (layout is not null)
        {
            segment.BuildChunks(layout, chunk0Starts!);
        }

        return segment;
    }

    /// <summary>
    /// The number of chunks for a segment of <paramref name="values"/> values (measurements in the
    /// remarks of <see cref="PdqIndex"/>). From about half a million values, 11 chunks (at 10M: chunk 0
    /// of 18 bits, its prefix, then eight of 24 bits and two of 23): 12 is as fast at 1M but needs 4
    /// more bytes a hash and twice the candidates, and at 10M it balances ~2.3k prefix probes against
    /// ~2.5k candidates. Smaller
    /// segments, mostly in cache, use narrower chunks: fewer probes, still few candidates.
    /// </summary>
    internal static int ChunkCountFor(int values) => values switch
    {
        < 1 << 16 => 16,
        < 1 << 19 => 12,
        _ => 11,
    };

    /// <summary>Tests cap the mark width to exercise the narrower marks of segments over 2^24 values on small data.</summary>
    internal static int? MarkBitsLimit { get; set; }

    /// <summary>Tests pin the chunk count to exercise every layout on small data.</summary>
    internal static Func<int, int>? ChunkCountOverride { get; set; }

    /// <summary>Chunk 0 is as wide as its prefix; the other chunks share the rest (see <see cref="ChunkLayout.WithFirst"/>).</summary>
    private static ChunkLayout ChooseLayout(int values) =>
        ChunkLayout.WithFirst(ChunkCountOverride?.Invoke(values) ?? ChunkCountFor(values), PrefixBitsFor(values, MaxFirstChunkBits));

    /// <summary>
    /// Chunk 0's width (its prefix) stops growing here: from about 2M values its runs get longer
    /// than 8 hashes, which are read in order, while the other chunks keep the bits and fetch fewer
    /// random candidates. At 10M values (18 bits instead of 21: five 24-bit chunks become eight)
    /// a query reads ~725 hashes in chunk-0 runs instead of ~105 and ~2,090 candidates instead of
    /// ~2,550; interleaved A/B, both build orders: 8-variant search -4.5%, single query -3.5%.
    /// At 1M values the cap does not bind (17 bits); capping at 14 there was 6% slower.
    /// </summary>
    internal const int MaxFirstChunkBits = 18;

    private static int PrefixBitsFor(int values, int width)
    {
        var bits = Bits.BitsFor(Math.Max(1, values / TargetRunLength));
        return Math.Clamp(bits, 1, width);
    }

    /// <summary>
    /// Builds the per-chunk runs. Chunk 0 needs no entries: the values are already in chunk-0 prefix
    /// order, so its runs are ranges of slots and are checked straight on the hashes (4 bytes a hash
    /// saved, and no candidate miss for that chunk).
    /// </summary>
    private void BuildChunks(ChunkLayout layout, int[] chunk0Starts)
    {
        // One pool of offsets and one of entries for all chunks: at 1M values a chunk's entries are
        // just under the 4 MiB that LargeArrays puts on huge pages, and a pool is well over it.
        long startTotal = 0, entryTotal = 0;
        for (var c = 0; c < layout.Count; c++)
        {
            _prefixBits[c] = PrefixBitsFor(ValueCount, layout.Widths[c]);
            _startBase[c] = checked((int)startTotal);
            _entryBase[c] = checked((int)entryTotal);
            startTotal += (1L << _prefixBits[c]) + 1;
            entryTotal += c == 0 ? 0 : ValueCount + EntryPadding;
        }

        _startPool = LargeArrays.Uninitialized<int>(checked((int)startTotal));
        _entryPool = LargeArrays.Uninitialized<uint>(checked((int)entryTotal));
        _suffixBits[0] = layout.Widths[0] - _prefixBits[0];
        chunk0Starts.CopyTo(_startPool, 0);

        // Chunks are independent, so a bulk load uses every core (searches stay single-threaded).
        if (ValueCount >= 1 << 16)
        {
            Parallel.For(1, layout.Count, c => BuildChunk(layout, c));
        }
        else
        {
            for (var c = 1; c < layout.Count; c++)
            {
                BuildChunk(layout, c);
            }
        }
    }

    /// <summary>
    /// Sorts the slots by chunk prefix into packed entries. A one-pass counting sort over 2^21 buckets
    /// makes two random DRAM accesses per value (about 20 s of CPU at 10M values over 10 chunks), so
    /// this is a two-pass radix sort: first into 256 coarse buckets by the top prefix bits (256 write
    /// streams, cache friendly), then each coarse bucket, small enough for L2, by the remaining bits.
    /// </summary>
    private void BuildChunk(ChunkLayout layout, int c)
    {
        var values = ValueCount;
        var width = layout.Widths[c];
        var p = PrefixBitsFor(values, width);
        var suffixBits = Math.Min(width - p, 32 - Bits.BitsFor(values));
        var suffixMask = (uint)((1UL << suffixBits) - 1);
        var offset = layout.Offsets[c];
        var coarseBits = Math.Min(8, p);
        var fineBits = p - coarseBits;
        var fineMask = (1u << fineBits) - 1;

        // Pass 1: keys and coarse counts.
        var keys = GC.AllocateUninitializedArray<uint>(values);
        var coarse = new int[(1 << coarseBits) + 1];
        for (var s = 0; s < values; s++)
        {
            var at = s * 4;
            var key = Bits.Field(_hashes[at], _hashes[at + 1], _hashes[at + 2], _hashes[at + 3], offset, width);
            keys[s] = key;
            coarse[(key >> (width - p) >> fineBits) + 1]++;
        }

        for (var b = 1; b < coarse.Length; b++)
        {
            coarse[b] += coarse[b - 1];
        }

        // Pass 2: (key, slot) pairs by coarse bucket, slots ascending within each.
        var byCoarse = GC.AllocateUninitializedArray<ulong>(values);
        var fill = coarse.AsSpan(0, coarse.Length - 1).ToArray();
        for (var s = 0; s < values; s++)
        {
            var key = keys[s];
            byCoarse[fill[key >> (width - p) >> fineBits]++] = ((ulong)key << 32) | (uint)s;
        }

        // Pass 3: each coarse bucket by its fine bits, straight into starts and entries.
        var starts = _startPool.AsSpan(_startBase[c], (1 << p) + 1);
        var entries = _entryPool.AsSpan(_entryBase[c], values + EntryPadding);
        var fine = new int[(1 << fineBits) + 1];
        var marks = new uint[1 << fineBits];
        var offsetBits = OffsetBits;
        var markBits = MarkBitsFor(offsetBits, suffixBits);
        var markMask = (1u << markBits) - 1;
        for (var bucket = 0; bucket < coarse.Length - 1; bucket++)
        {
            int from = coarse[bucket], to = coarse[bucket + 1];
            Array.Clear(fine);
            Array.Clear(marks);
            for (var i = from; i < to; i++)
            {
                var key = (uint)(byCoarse[i] >> 32);
                var f = (key >> (width - p)) & fineMask;
                fine[f + 1]++;
                marks[f] |= 1u << (int)(key & markMask);
            }

            var baseStart = bucket << fineBits;
            var running = from;
            for (var f = 0; f < fine.Length - 1; f++)
            {
                starts[baseStart + f] = (int)((uint)running | (marks[f] << offsetBits));
                var n = fine[f + 1];
                fine[f + 1] = running;
                running += n;
            }

            for (var i = from; i < to; i++)
            {
                var pair = byCoarse[i];
                var key = (uint)(pair >> 32);
                entries[fine[((key >> (width - p)) & fineMask) + 1]++] = ((uint)pair << suffixBits) | (key & suffixMask);
            }
        }

        starts[1 << p] = values;

        // Padding past the last run is zero; runs are masked by length, so it is never a candidate.
        entries[values..].Clear();
        _suffixBits[c] = suffixBits;
        _markBits[c] = markBits;
    }

    /// <summary>Bits of a run offset word that hold the run start (the values 0..ValueCount); the marks sit above.</summary>
    private int OffsetBits => Bits.BitsFor(ValueCount + 1);

    /// <summary>Widest run mark: 2^3 mark bits fill the spare byte of an offset at 10M values.</summary>
    private const int MaxMarkBits = 3;

    /// <summary>
    /// Suffix bits summarised in a run's mark: the offset word keeps the run start in its low
    /// <paramref name="offsetBits"/> bits and, above them, one bit for each value of the suffix's low
    /// k bits present in the run (k at most <see cref="MaxMarkBits"/>).
    /// </summary>
    private static int MarkBitsFor(int offsetBits, int suffixBits)
    {
        var k = 0;
        while (k < (MarkBitsLimit ?? MaxMarkBits) && k < suffixBits && (2 << k) <= 32 - offsetBits)
        {
            k++;
        }

        return k;
    }

    /// <summary>Stable counting sort: <paramref name="position"/>[i] is where item i goes; starts gets bucket offsets.</summary>
    private static void CountingOrder(uint[] keys, int[] starts, int[] position)
    {
        for (var i = 0; i < keys.Length; i++)
        {
            starts[keys[i] + 1]++;
        }

        for (var b = 1; b < starts.Length; b++)
        {
            starts[b] += starts[b - 1];
        }

        var fill = starts.AsSpan(0, starts.Length - 1).ToArray();
        for (var i = 0; i < keys.Length; i++)
        {
            position[i] = fill[keys[i]]++;
        }
    }

    private static int Dedupe(ReadOnlySpan<Hash256> hashes, int[] valueOfEntry, int[] firstEntry)
    {
        var tableBits = Bits.BitsFor(Math.Max(2, hashes.Length * 2));
        var table = LargeArrays.Uninitialized<int>(1 << tableBits);
        Array.Fill(table, -1);
        var mask = table.Length - 1;
        var values = 0;
        const int Ahead = 16;
        for (var e = 0; e < hashes.Length; e++)
        {
            // Each insert is a random table read; prefetching a few inserts ahead overlaps them.
            if (e + Ahead < hashes.Length)
            {
                PrefetchSlot(table, (int)(Mix(hashes[e + Ahead]) >> (64 - tableBits)) & mask);
            }

            var h = hashes[e];
            var probe = (int)(Mix(h) >> (64 - tableBits)) & mask;
            while (true)
            {
                var v = table[probe];
                if (v < 0)
                {
                    table[probe] = values;
                    firstEntry[values] = e;
                    valueOfEntry[e] = values++;
                    break;
                }

                if (hashes[firstEntry[v]] == h)
                {
                    valueOfEntry[e] = v;
                    break;
                }

                probe = (probe + 1) & mask;
            }
        }

        return values;
    }

    private static unsafe void PrefetchSlot(int[] table, int slot)
    {
        fixed (int* at = &table[slot])
        {
            Sse.Prefetch0(at);
        }
    }

    private static ulong Mix(in Hash256 h) =>
        ((h[0] * 0x9E3779B97F4A7C15UL) ^ (h[1] * 0xC2B2AE3D27D4EB4FUL) ^ (h[2] * 0x165667B19E3779F9UL) ^ h[3]) * 0xD6E8FEB86659FD93UL;

    public Hash256 HashAt(int slot)
    {
        var at = slot * 4;
        return new Hash256(_hashes[at], _hashes[at + 1], _hashes[at + 2], _hashes[at + 3]);
    }

    /// <summary>The id entries of a slot: [first, end).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public (int First, int End) IdRange(int slot) => _idStart is null ? (slot, slot + 1) : (_idStart[slot], _idStart[slot + 1]);

    /// <summary>
    /// Estimated cost (roughly nanoseconds) of an index search at this radius, against a scan.
    /// The weights were fitted by eye to 1M-value runs: a prefix probe is a cache miss, a run entry a
    /// few instructions, a candidate a cache miss on the hash; a scanned value about 1.5 ns.
    /// </summary>
    public bool PrefersScan(int radius)
    {
        if (_layout is null || radius >= 64)
        {
            return true;
        }

        Span<int> thresholds = stackalloc int[_layout.Count];
        _layout.Thresholds(radius, thresholds);
        double values = ValueCount, cost = 0;
        for (var c = 0; c < _layout.Count; c++)
        {
            if (thresholds[c] < 0)
            {
                continue;
            }

            var probes = Bits.BallSize(_prefixBits[c], thresholds[c]);
            var filtered = _prefixBits[c] + _suffixBits[c];
            cost += probes * (40 + (values / (1 << _prefixBits[c])));
            cost += 30 * values * Bits.BallSize(filtered, thresholds[c]) / Math.Pow(2, filtered);
        }

        return cost > values * 1.5;
    }

    /// <summary>Every live id within the query's radius, appended unordered.</summary>
    public void Search(QueryContext query, List<IndexMatch> results, bool forceScan)
    {
        if (forceScan || _layout is null || PrefersScan(query.Radius))
        {
            Scan(query, results);
        }
        else
        {
            SearchIndex(query, results);
        }
    }

    /// <summary>Index path whenever the segment has an index, whatever the cost estimate says (tests).</summary>
    public void SearchIndexIfAny(QueryContext query, List<IndexMatch> results)
    {
        if (_layout is null || query.Radius >= 64)
        {
            Scan(query, results);
        }
        else
        {
            SearchIndex(query, results);
        }
    }

    /// <summary>The linear scan (also the oracle the index is tested against).</summary>
    public void Scan(QueryContext query, List<IndexMatch> results)
    {
        var hashes = MemoryMarshal.Cast<ulong, Hash256>(_hashes.AsSpan());
        var scratch = query.Scratch;
        var start = 0;
        while (start < hashes.Length)
        {
            var found = LinearScan.Find(hashes, start, query.Hash, query.Radius, scratch, out start);
            for (var i = 0; i < found; i++)
            {
                var slot = scratch[i];
                EmitSlot(slot, Hash256.Distance(hashes[slot], query.Hash), query, results);
            }
        }
    }

    /// <summary>
    /// The multi-index path. Each chunk's prefix variants are handled in batches through a small
    /// pipeline: prefetch the run offsets of the whole batch, read them and prefetch the runs, filter
    /// the runs into a candidate list, prefetch the candidates' hashes, then verify. Done one probe at a
    /// time, every step waits on its own cache miss (measured: 265 us p50 at 1M); batched, the misses
    /// overlap. But not too many at once: on this KVM guest batches of 16 beat 32 by 8% at 10M values
    /// (12: 5% slower than 16, 8: 13% slower; even at 1M), and two batches of 8 or 12 in flight
    /// (a two-stage software pipeline across batches) were no better than one of 16. A/B on one
    /// index in one process, each query timed cold in both modes, thread CPU time. (Prefetches beyond
    /// what the core can keep in flight seem to be dropped and then missed again.) Since runs carry
    /// marks, a batch reads fewer lines and 24 is best (see <see cref="ProbeBatch"/>).
    /// </summary>
    private unsafe void SearchIndex(QueryContext query, List<IndexMatch> results)
    {
        var layout = _layout!;
        var count = layout.Count;
        Span<int> thresholds = stackalloc int[count];
        layout.Thresholds(query.Radius, thresholds);
        var q = query.Hash;
        ulong q0 = q[0], q1 = q[1], q2 = q[2], q3 = q[3];
        Span<uint> variants = stackalloc uint[ProbeBatch];
        Span<int> budgets = stackalloc int[ProbeBatch];
        Span<int> runs = stackalloc int[ProbeBatch * 2];
        var candidates = query.Candidates;
        fixed (ulong* hashes = _hashes)
        fixed (int* startPool = _startPool)
        fixed (uint* entryPool = _entryPool)
        {
            for (var c = 0; c < count; c++)
            {
                var t = thresholds[c];
                if (t < 0)
                {
                    continue;
                }

                var width = layout.Widths[c];
                var p = _prefixBits[c];
                var sb = _suffixBits[c];
                var key = Bits.Field(q0, q1, q2, q3, layout.Offsets[c], width);
                var qs = key & (uint)((1UL << sb) - 1);
                var suffixMask = (uint)((1UL << sb) - 1);
                var variantsOf = new PrefixVariants(key >> (width - p), p, t);
                var starts = startPool + _startBase[c];
                var entries = entryPool + _entryBase[c];
                int batch;
                if (c == 0)
                {
                    while ((batch = variantsOf.Fill(variants, budgets)) > 0)
                    {
                        ProbeSlotRuns(starts, hashes, variants[..batch], runs, thresholds, query, results);
                    }

                    continue;
                }

                var wanted = WantedMarks(qs, _markBits[c]);
                var offsetBits = OffsetBits;
                while ((batch = variantsOf.Fill(variants, budgets)) > 0)
                {
                    PrefetchStarts(starts, variants[..batch]);
                    ReadRuns(starts, entries, variants[..batch], budgets[..batch], wanted, offsetBits, runs);
                    var found = FilterRuns(c, entries, hashes, runs[..(2 * batch)], budgets[..batch], qs, suffixMask, sb, thresholds, query, results);
                    VerifyAll(candidates, found, c, thresholds, query, results);
                }
            }
        }
    }

    private static unsafe void PrefetchStarts(int* starts, ReadOnlySpan<uint> variants)
    {
        for (var i = 0; i < variants.Length; i++)
        {
            Sse.Prefetch0(starts + variants[i]);
        }
    }

    private static unsafe void ReadRuns(int* starts, uint* entries, ReadOnlySpan<uint> variants, ReadOnlySpan<int> budgets, ulong wanted, int offsetBits, Span<int> runs)
    {
        var offsetMask = (1 << offsetBits) - 1;
        for (var i = 0; i < variants.Length; i++)
        {
            var word = (uint)starts[variants[i]];
            var from = (int)word & offsetMask;
            var to = starts[variants[i] + 1] & offsetMask;
            var marks = word >> offsetBits;
            var want = (uint)(wanted >> (Math.Min(budgets[i], MaxMarkBits) * 8)) & 0xFF;
            if ((marks & want) == 0)
            {
                to = from;
            }
            else
            {
                // A run of ~5 entries straddles a line boundary about a third of the time.
                PrefetchOnce(entries + from);
                PrefetchOnce(entries + to - 1);
            }

            runs[2 * i] = from;
            runs[(2 * i) + 1] = to;
        }
    }

    /// <summary>
    /// For budgets 0..<see cref="MaxMarkBits"/> (byte b of the result), the mark bits of the suffix values
    /// whose low <paramref name="markBits"/> bits are within b of the query's: a run with none of them
    /// cannot hold an entry whose whole suffix is within b, so its entries are not read. A larger budget
    /// wants every mark, as the last byte does.
    /// </summary>
    private static ulong WantedMarks(uint qs, int markBits)
    {
        ulong wanted = 0;
        var low = qs & ((1u << markBits) - 1);
        for (var v = 0u; v < 1u << markBits; v++)
        {
            var d = BitOperations.PopCount(v ^ low);
            for (var b = d; b <= MaxMarkBits; b++)
            {
                wanted |= 1UL << ((b * 8) + (int)v);
            }
        }

        return wanted;
    }

    /// <summary>
    /// Filters runs into the candidate list (prefetching each candidate's hash) and returns how many
    /// are left to verify. Runs are filtered eight entries at a time: the popcount test "at most budget
    /// bits differ" becomes "clearing the lowest set bit budget times leaves zero", and the entries
    /// array has eight entries of padding so a short run may be read as a whole vector and masked,
    /// with no per-entry branch.
    /// </summary>
    private unsafe int FilterRuns(int c, uint* entries, ulong* hashes, ReadOnlySpan<int> runs, ReadOnlySpan<int> budgets, uint qs, uint suffixMask, int sb, ReadOnlySpan<int> thresholds, QueryContext query, List<IndexMatch> results)
    {
        var candidates = query.Candidates;
        var found = 0;
        var qsv = Vector256.Create(qs);
        var maskv = Vector256.Create(suffixMask);
        for (var i = 0; i < budgets.Length; i++)
        {
            var budget = budgets[i];
            for (int e = runs[2 * i], end = runs[(2 * i) + 1]; e < end; e += 8)
            {
                var x = (Vector256.Load(entries + e) ^ qsv) & maskv;
                for (var b = 0; b < budget; b++)
                {
                    x &= x - Vector256<uint>.One;
                }

                var hits = Vector256.Equals(x, Vector256<uint>.Zero).ExtractMostSignificantBits();
                if (end - e < 8)
                {
                    hits &= (1u << (end - e)) - 1;
                }

                while (hits != 0)
                {
                    var slot = (int)(entries[e + BitOperations.TrailingZeroCount(hits)] >> sb);
                    hits &= hits - 1;
                    PrefetchOnce(hashes + (slot * 4));
                    candidates[found++] = slot;
                }

                if (found > candidates.Length - 8)
                {
                    VerifyAll(candidates, found, c, thresholds, query, results);
                    found = 0;
                }
            }
        }

        return found;
    }

    /// <summary>Chunk 0: the runs are slot ranges, verified in place (the hashes are read in order).</summary>
    private unsafe void ProbeSlotRuns(int* starts, ulong* hashes, ReadOnlySpan<uint> variants, Span<int> runs, ReadOnlySpan<int> thresholds, QueryContext query, List<IndexMatch> results)
    {
        for (var i = 0; i < variants.Length; i++)
        {
            Sse.Prefetch0(starts + variants[i]);
        }

        for (var i = 0; i < variants.Length; i++)
        {
            var from = starts[variants[i]];
            var to = starts[variants[i] + 1];
            runs[2 * i] = from;
            runs[(2 * i) + 1] = to;
            for (var line = from * 4; line < to * 4; line += 8)
            {
                PrefetchOnce(hashes + line);
            }
        }

        for (var i = 0; i < variants.Length; i++)
        {
            for (int slot = runs[2 * i], end = runs[(2 * i) + 1]; slot < end; slot++)
            {
                Verify(slot, 0, thresholds, query, results);
            }
        }
    }

    /// <summary>Entries past the end, so that the last run can be read as one whole vector.</summary>
    private const int EntryPadding = 8;

    /// <summary>
    /// Prefix variants handled per pipeline batch (measured against 8, 12, 32, 64 and 128; with run
    /// marks, which leave fewer lines per batch, 24 beat 16 by 5% and 12 by 10% at 10M, and 32 was no better).
    /// </summary>
    private const int ProbeBatch = 24;

    /// <summary>
    /// Prefetch for a line read once per query (a run of entries, a candidate's hash, a chunk-0 run):
    /// the non-temporal hint keeps these ~5k random lines from displacing what is reused (the run
    /// offsets shared by a query's prefix variants, and probably the page-table entries behind every
    /// random access). 10M values, A/B on one index against prefetcht0: 8-variant search -8.3%, single
    /// query -9.4%; 1M -2.3%. Run offsets are still fetched with prefetcht0 (non-temporal there: within 1%).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void PrefetchOnce(void* address) => Sse.PrefetchNonTemporal(address);

    /// <summary>
    /// Verifies candidates: nearly all are random hashes ~128 bits away, so the distance is taken
    /// here on the query limbs loaded once, and only a hash within the radius goes on to
    /// <see cref="Verify"/> for the chunk checks.
    /// </summary>
    private unsafe void VerifyAll(int[] candidates, int count, int chunk, ReadOnlySpan<int> thresholds, QueryContext query, List<IndexMatch> results)
    {
        var q = query.Hash;
        ulong q0 = q[0], q1 = q[1], q2 = q[2], q3 = q[3];
        var radius = query.Radius;
        fixed (ulong* hashes = _hashes)
        {
            for (var i = 0; i < count; i++)
            {
                var h = hashes + (candidates[i] * 4);
                var distance = BitOperations.PopCount(h[0] ^ q0) + BitOperations.PopCount(h[1] ^ q1) +
                               BitOperations.PopCount(h[2] ^ q2) + BitOperations.PopCount(h[3] ^ q3);
                if (distance <= radius)
                {
                    Verify(candidates[i], chunk, thresholds, query, results);
                }
            }
        }
    }

    /// <summary>
    /// Full check of a candidate found through <paramref name="chunk"/>. A hash within the radius can pass
    /// the filter of several chunks; it is reported only through the first chunk c whose full chunk
    /// distance is within t_c (one exists by the pigeonhole argument, and its filter lets the hash
    /// through), so it is reported exactly once without a visited set.
    /// </summary>
    private void Verify(int slot, int chunk, ReadOnlySpan<int> thresholds, QueryContext query, List<IndexMatch> results)
    {
        var at = slot * 4;
        var q = query.Hash;
        ulong x0 = _hashes[at] ^ q[0], x1 = _hashes[at + 1] ^ q[1], x2 = _hashes[at + 2] ^ q[2], x3 = _hashes[at + 3] ^ q[3];
        var distance = BitOperations.PopCount(x0) + BitOperations.PopCount(x1) + BitOperations.PopCount(x2) + BitOperations.PopCount(x3);
        if (distance > query.Radius)
        {
            return;
        }

        var layout = _layout!;
        if (BitOperations.PopCount(Bits.Field(x0, x1, x2, x3, layout.Offsets[chunk], layout.Widths[chunk])) > thresholds[chunk])
        {
            return;
        }

        for (var c = 0; c < chunk; c++)
        {
            if (thresholds[c] >= 0 && BitOperations.PopCount(Bits.Field(x0, x1, x2, x3, layout.Offsets[c], layout.Widths[c])) <= thresholds[c])
            {
                return;
            }
        }

        EmitSlot(slot, distance, query, results);
    }

    private void EmitSlot(int slot, int distance, QueryContext query, List<IndexMatch> results)
    {
        var (first, end) = IdRange(slot);
        for (var e = first; e < end; e++)
        {
            if (IsLive(e, query.Version))
            {
                results.Add(new IndexMatch(_ids[e], distance, query.QueryIndex));
            }
        }
    }
}
