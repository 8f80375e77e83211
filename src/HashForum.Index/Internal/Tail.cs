using HashForum.Hashing.Pdq;

namespace HashForum.Index.Internal;

/// <summary>
/// The newest additions: a small append-only buffer searched by linear scan. The writer appends
/// beyond the count that readers were given and publishes the new count with the next snapshot, so
/// readers never see a half-written entry. When full it is turned into a <see cref="Segment"/>.
/// </summary>
internal sealed class Tail : IIdSource
{
    /// <summary>4096 hashes scan in a few microseconds; more would slow every search.</summary>
    public const int Capacity = 4096;

    private readonly Hash256[] _hashes = new Hash256[Capacity];
    private readonly long[] _ids = new long[Capacity];
    private readonly long[] _removedAt = new long[Capacity];

    /// <summary>Entries appended (writer's view).</summary>
    public int Count { get; private set; }

    public int RemovedCount { get; private set; }

    public bool IsFull => Count == Capacity;

    public static long ArrayBytes => Capacity * (32L + 8 + 8);

    public long IdAt(int entry) => _ids[entry];

    public void Append(long id, in Hash256 hash)
    {
        _hashes[Count] = hash;
        _ids[Count] = id;
        _removedAt[Count] = long.MaxValue;
        Count++;
    }

    public void MarkRemoved(int entry, long version)
    {
        Volatile.Write(ref _removedAt[entry], version);
        RemovedCount++;
    }

    public void CollectLive(long version, List<long> ids, List<Hash256> hashes)
    {
        for (var e = 0; e < Count; e++)
        {
            if (_removedAt[e] > version)
            {
                ids.Add(_ids[e]);
                hashes.Add(_hashes[e]);
            }
        }
    }

    /// <summary>Scans the first <paramref name="count"/> entries (the reader's snapshot of the tail).</summary>
    public void Scan(QueryContext query, int count, List<IndexMatch> results)
    {
        ReadOnlySpan<Hash256> hashes = _hashes.AsSpan(0, count);
        var scratch = query.Scratch;
        var start = 0;
        while (start < hashes.Length)
        {
            var found = LinearScan.Find(hashes, start, query.Hash, query.Radius, scratch, out start);
            for (var i = 0; i < found; i++)
            {
                var e = scratch[i];
                if (Volatile.Read(ref _removedAt[e]) > query.Version)
                {
                    results.Add(new IndexMatch(_ids[e], Hash256.Distance(hashes[e], query.Hash), query.QueryIndex));
                }
            }
        }
    }
}
