using System.Text;

namespace HashForum.Storage.Internal;

/// <summary>
/// Record ids and partition placement. An id is <c>n * 1024 + p</c>: <c>p</c> is the partition (so a record is
/// found from its id alone, in one slot) and <c>n</c> comes from the partition's own counter (so no command
/// crosses slots). Ids are positive longs, as the in-memory index wants; 2^53 ids per partition are room enough.
/// </summary>
internal static class RecordIds
{
    /// <summary>The most partitions ids can encode.</summary>
    public const int MaxPartitions = 1024;

    private const int PartitionBits = 10;

    public static long Compose(long number, int partition) => (number << PartitionBits) | (uint)partition;

    public static long NumberOf(long id) => id >> PartitionBits;

    public static int PartitionOf(long id) => (int)(id & (MaxPartitions - 1));

    public static bool IsValid(long id, int partitions) => id >= MaxPartitions && PartitionOf(id) < partitions;

    /// <summary>
    /// The partition a value lives in: FNV-1a (64-bit) of <c>signal:value</c>, modulo the partition count. Every
    /// record with this value lives there too, so the idempotency check and the write happen in one slot.
    /// This function is part of the data layout: changing it orphans existing values.
    /// </summary>
    public static int PartitionOfValue(SignalType signal, string canonicalValue, int partitions)
    {
        const ulong offsetBasis = 14695981039346656037UL;
        const ulong prime = 1099511628211UL;
        var hash = offsetBasis;
        Span<byte> buffer = stackalloc byte[80];
        var written = Encoding.ASCII.GetBytes(signal.ToWireName() + ":" + canonicalValue, buffer);
        foreach (var b in buffer[..written])
        {
            hash ^= b;
            hash *= prime;
        }

        return (int)(hash % (ulong)partitions);
    }
}
