using Google.Protobuf.WellKnownTypes;
using HashForum.Storage;
using V1 = HashForum.Contracts.V1;

namespace HashForum.Server.Services.Members;

/// <summary>Store records to and from their wire messages.</summary>
internal static class RecordMapping
{
    public static V1.SignalType ToProto(this SignalType signal) => signal switch
    {
        SignalType.Pdq => V1.SignalType.Pdq,
        SignalType.Md5 => V1.SignalType.Md5,
        SignalType.Sha256 => V1.SignalType.Sha256,
        _ => V1.SignalType.Unspecified,
    };

    public static V1.HashRecord ToProto(this HashRecord record)
    {
        var message = new V1.HashRecord
        {
            Id = record.Id,
            Signal = record.Signal.ToProto(),
            Value = record.Value,
            Quality = record.Quality ?? 0,
            Note = record.Note ?? string.Empty,
            Reference = record.Reference ?? string.Empty,
            Member = record.Member,
            Created = Timestamp.FromDateTimeOffset(record.CreatedAt),
            Updated = Timestamp.FromDateTimeOffset(record.UpdatedAt),
            Status = record.Status == RecordStatus.Active ? V1.RecordStatus.Active : V1.RecordStatus.Retracted,
            RetractedBy = record.RetractedBy ?? string.Empty,
            Retracted = record.RetractedAt is { } at ? Timestamp.FromDateTimeOffset(at) : null,
            Agree = record.PositiveFeedback,
            Disagree = record.NegativeFeedback,
        };
        message.Labels.AddRange(record.Labels);
        return message;
    }

    public static V1.Match ToMatch(this HashRecord record, int distance, string variant)
    {
        var match = new V1.Match
        {
            RecordId = record.Id,
            Signal = record.Signal.ToProto(),
            Value = record.Value,
            Distance = distance,
            Variant = variant,
            Quality = record.Quality ?? 0,
            Member = record.Member,
            Created = Timestamp.FromDateTimeOffset(record.CreatedAt),
            Agree = record.PositiveFeedback,
            Disagree = record.NegativeFeedback,
        };
        match.Labels.AddRange(record.Labels);
        return match;
    }

    public static V1.ChangeKind ToProto(this ChangeKind kind) => kind switch
    {
        ChangeKind.Added => V1.ChangeKind.Added,
        ChangeKind.Retracted => V1.ChangeKind.Retracted,
        ChangeKind.Relabeled => V1.ChangeKind.Relabeled,
        ChangeKind.Feedback => V1.ChangeKind.Feedback,
        _ => V1.ChangeKind.Unspecified,
    };
}
