using System.ComponentModel.DataAnnotations;

namespace HashForum.Server.Services.Members;

/// <summary>Settings of the member API (lookup, contribute, sync, labels), bound from <c>HashForum:MemberApi</c>.</summary>
public sealed class MemberApiOptions
{
    public const string SectionName = "HashForum:MemberApi";

    /// <summary>
    /// Largest PDQ match radius a caller may ask for; larger requests are capped to it (the response says the radius
    /// used). Radii up to 63 use the multi-index; beyond, every lookup scans the whole index.
    /// </summary>
    [Range(0, 256)]
    public int MaxDistanceCap { get; set; } = 63;

    /// <summary>Largest number of queries in one <c>LookupBatch</c> call.</summary>
    [Range(1, 1_000_000)]
    public int MaxBatchSize { get; set; } = 10_000;

    /// <summary>Most matches returned for one query (nearest first); a query beyond it is answered with the nearest ones.</summary>
    [Range(1, 100_000)]
    public int MaxMatchesPerQuery { get; set; } = 1000;

    /// <summary>Largest sync page or snapshot chunk (records or changes).</summary>
    [Range(10, 100_000)]
    public int MaxSyncPage { get; set; } = 5000;

    /// <summary>How often a change stream (<c>StreamChanges</c>) polls the store when it is idle.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan SyncPollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long a server trusts its copy of the label taxonomy; other servers see an operator's change within it.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan LabelCacheDuration { get; set; } = TimeSpan.FromSeconds(5);
}
