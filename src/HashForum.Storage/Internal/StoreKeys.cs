using System.Globalization;
using StackExchange.Redis;

namespace HashForum.Storage.Internal;

/// <summary>
/// The key layout, in one place. Every key starts with <see cref="Prefix"/> (a version, so that a future layout can
/// live beside this one) and carries a hash tag: <c>{pN}</c> for partition N, so every script and multi-key command
/// of a partition stays in one Redis Cluster slot. Later areas take their own tags (<c>{member:...}</c>,
/// <c>{audit}</c>) under the same prefix.
/// </summary>
/// <remarks>
/// <code>
/// hf:v1:{meta}:partitions          string  partition count, fixed when the store is first used
/// hf:v1:{meta}:layout              string  "buckets": records in record buckets (set with the partition count; a store
///                                          with a partition count and no layout was written by an earlier build, with a
///                                          key per record, and is refused rather than read as empty)
/// hf:v1:{pN}:ids                   string  counter of record numbers in partition N (id = n * 1024 + N); writers
///                                          reserve numbers before writing, so ids can have gaps
/// hf:v1:{pN}:seq                   string  last change sequence number of partition N
/// hf:v1:{pN}:log                  zset    change log, score = first seq: member = "seq|kind|id|signal|value" (one
///                                          mutation), or "kind|id|signal|value" lines (one bulk write, consecutive seqs)
/// hf:v1:{pN}:rb:B                  hash    record bucket: id -> packed creation data (PackedRecord) of the active
///                                          records with record numbers B * 1024 .. B * 1024 + 1023. A start-up load
///                                          reads these buckets; retraction moves the entry to the overlay. Buckets
///                                          keep every object small (Garnet copies and tiers whole objects: a hash of
///                                          millions of entries made its writes crawl) and a bulk write adds entries to
///                                          one or two existing keys instead of creating a key per record.
/// hf:v1:{pN}:rec:ID                hash    the record's overlay, only once it changed: st, rby, rat (retraction), ut,
///                                          lab (relabel), fbp, fbn (feedback tallies), d (packed data, retracted)
/// hf:v1:{pN}:fb:ID                 hash    member -> feedback opinion (p / n)
/// hf:v1:{pN}:val:SIGNAL:VALUE      hash    member -> id: exact lookup and idempotency, no scan
/// channel hf:v1:changes            publish/subscribe wake-up; the message is the partition number
/// </code>
/// </remarks>
internal static class StoreKeys
{
    public const string Prefix = "hf:v1:";
    public const string PartitionsKey = Prefix + "{meta}:partitions";
    public const string LayoutKey = Prefix + "{meta}:layout";

    /// <summary>The layout this code reads and writes.</summary>
    public const string Layout = "buckets";
    public const string ChangesChannel = Prefix + "changes";

    /// <summary>The tags of every possible partition, built once: bulk writes name two keys per record.</summary>
    private static readonly string[] Tags =
        [.. Enumerable.Range(0, RecordIds.MaxPartitions).Select(p => Prefix + "{p" + p.ToString(CultureInfo.InvariantCulture) + "}:")];

    public static string Tag(int partition) => Tags[partition];

    public static RedisKey Ids(int partition) => Tag(partition) + "ids";

    public static RedisKey Sequence(int partition) => Tag(partition) + "seq";

    public static RedisKey Log(int partition) => Tag(partition) + "log";

    /// <summary>Record numbers per record bucket.</summary>
    public const int BucketSize = 1024;

    public static long BucketOf(long id) => RecordIds.NumberOf(id) / BucketSize;

    public static RedisKey Bucket(long id) => Bucket(RecordIds.PartitionOf(id), BucketOf(id));

    public static RedisKey Bucket(int partition, long bucket) =>
        Tag(partition) + "rb:" + bucket.ToString(CultureInfo.InvariantCulture);

    public static RedisKey Overlay(long id) =>
        Tag(RecordIds.PartitionOf(id)) + "rec:" + id.ToString(CultureInfo.InvariantCulture);

    public static RedisKey Feedback(long id) =>
        Tag(RecordIds.PartitionOf(id)) + "fb:" + id.ToString(CultureInfo.InvariantCulture);

    public static string Value(int partition, SignalType signal, string canonicalValue) =>
        Tag(partition) + "val:" + signal.ToWireName() + ":" + canonicalValue;
}
