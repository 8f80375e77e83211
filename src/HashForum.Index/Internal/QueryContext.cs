using HashForum.Hashing.Pdq;

namespace HashForum.Index.Internal;

/// <summary>
/// One query in flight: the hash, radius, the snapshot version it reads, and scratch space.
/// One instance per thread is reused, so a search allocates nothing of its own.
/// </summary>
internal sealed class QueryContext
{
    [ThreadStatic]
    private static QueryContext? t_current;

    public Hash256 Hash { get; set; }

    public int Radius { get; set; }

    public long Version { get; set; }

    public int QueryIndex { get; set; }

    /// <summary>Slot numbers found by one stretch of a linear scan.</summary>
    public int[] Scratch { get; } = new int[256];

    /// <summary>Candidate slots of one probe batch, verified together once their hashes are prefetched.</summary>
    public int[] Candidates { get; } = new int[512];

    public static QueryContext ForThisThread() => t_current ??= new QueryContext();
}
