using System.ComponentModel.DataAnnotations;

namespace HashForum.Storage;

/// <summary>
/// Store settings, bound from <c>HashForum:Store</c>; <c>HASHFORUM_REDIS</c> and <c>HASHFORUM_DATA</c> fill
/// <see cref="Redis"/> and <see cref="DataPath"/> when the section leaves them unset.
/// </summary>
public sealed class HashForumStoreOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "HashForum:Store";

    /// <summary>The flat configuration key (environment variable) for <see cref="Redis"/>.</summary>
    public const string RedisVariable = "HASHFORUM_REDIS";

    /// <summary>The flat configuration key (environment variable) for <see cref="DataPath"/>.</summary>
    public const string DataVariable = "HASHFORUM_DATA";

    /// <summary>
    /// A StackExchange.Redis configuration string (e.g. <c>redis1:6379,redis2:6379,password=...</c>).
    /// Unset: the embedded Garnet server is started in-process. It may hold a password: it is never logged.
    /// </summary>
    public string? Redis { get; set; }

    /// <summary>The embedded store's data folder (unused with external Redis).</summary>
    [Required]
    public string DataPath { get; set; } = "./data";

    /// <summary>
    /// Partitions (hash tags) records and log are spread over, for Redis Cluster. Used when a store is created;
    /// afterwards the count stored in the store wins (ids and value placement depend on it).
    /// </summary>
    [Range(1, Internal.RecordIds.MaxPartitions)]
    public int Partitions { get; set; } = 16;

    /// <summary>Change log entries kept per partition; older ones are trimmed (a follower further behind reloads).</summary>
    [Range(1, int.MaxValue)]
    public int ChangeLogLength { get; set; } = 100_000;

    /// <summary>How often followers poll the log when no publish/subscribe wake-up arrives.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Timeout of one store operation (used unless the Redis string sets its own).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The Redis setting after the flat fallback, or null for embedded.</summary>
    public bool UsesEmbeddedStore => string.IsNullOrWhiteSpace(Redis);
}
