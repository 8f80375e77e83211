namespace HashForum.Server.Services.Members;

/// <summary>The member API's log lines (event ids 6101-6199). Never an image, a key or a looked-up hash.</summary>
internal static partial class MemberApiLog
{
    [LoggerMessage(6101, LogLevel.Information, "Label {LabelId} added by {MemberId}")]
    public static partial void LabelAdded(ILogger logger, string labelId, string memberId);

    [LoggerMessage(6102, LogLevel.Information, "Label {LabelId} retired by {MemberId}")]
    public static partial void LabelRetired(ILogger logger, string labelId, string memberId);

    [LoggerMessage(6103, LogLevel.Information, "Record {RecordId} ({Signal}) contributed by {MemberId}; new: {Created}")]
    public static partial void Contributed(ILogger logger, long recordId, string signal, string memberId, bool created);

    [LoggerMessage(6104, LogLevel.Information, "Record {RecordId} retracted by {MemberId}")]
    public static partial void Retracted(ILogger logger, long recordId, string memberId);

    [LoggerMessage(6105, LogLevel.Information, "Record {RecordId} relabelled by {MemberId}")]
    public static partial void Relabeled(ILogger logger, long recordId, string memberId);

    [LoggerMessage(6108, LogLevel.Information, "Batch of {Count} records contributed by {MemberId}; new: {Created}")]
    public static partial void ContributedBatch(ILogger logger, int count, int created, string memberId);

    [LoggerMessage(6106, LogLevel.Information, "Label taxonomy seeded: {Count} labels added")]
    public static partial void TaxonomySeeded(ILogger logger, int count);

    [LoggerMessage(6107, LogLevel.Information, "Snapshot of {Count} active records sent to {MemberId}")]
    public static partial void SnapshotSent(ILogger logger, long count, string memberId);
}
