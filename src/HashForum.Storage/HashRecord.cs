namespace HashForum.Storage;

/// <summary>Whether a record still counts in matching.</summary>
public enum RecordStatus
{
    /// <summary>The record matches.</summary>
    Active = 1,

    /// <summary>The record was withdrawn; it no longer matches but stays for audit.</summary>
    Retracted = 2,
}

/// <summary>A member's opinion of a record (feedback): at most one per member and record.</summary>
public enum FeedbackOpinion
{
    /// <summary>No opinion (clears an earlier one).</summary>
    None = 0,

    /// <summary>The record is correct: it matched content that was indeed in scope.</summary>
    Positive = 1,

    /// <summary>The record is wrong or out of scope (a false positive).</summary>
    Negative = 2,
}

/// <summary>A hash record as stored.</summary>
public sealed record HashRecord
{
    /// <summary>The record id: positive, unique in the store, stable forever.</summary>
    public required long Id { get; init; }

    public required SignalType Signal { get; init; }

    /// <summary>The value in canonical form: lower-case hex.</summary>
    public required string Value { get; init; }

    /// <summary>PDQ quality (0..100) for PDQ records; null for exact-match signals.</summary>
    public int? Quality { get; init; }

    public IReadOnlyList<string> Labels { get; init; } = [];

    public string? Note { get; init; }

    /// <summary>An optional incident or source reference.</summary>
    public string? Reference { get; init; }

    /// <summary>The contributing member.</summary>
    public required string Member { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }

    public RecordStatus Status { get; init; } = RecordStatus.Active;

    public string? RetractedBy { get; init; }

    public DateTimeOffset? RetractedAt { get; init; }

    public int PositiveFeedback { get; init; }

    public int NegativeFeedback { get; init; }
}

/// <summary>What a member contributes.</summary>
public sealed record Contribution
{
    public required SignalType Signal { get; init; }

    /// <summary>The value as hex (either case); it is stored lower-case.</summary>
    public required string Value { get; init; }

    /// <summary>The contributing member's id.</summary>
    public required string Member { get; init; }

    /// <summary>PDQ quality (0..100), for PDQ only.</summary>
    public int? Quality { get; init; }

    public IReadOnlyList<string> Labels { get; init; } = [];

    public string? Note { get; init; }

    public string? Reference { get; init; }
}

/// <summary>The outcome of a contribution: the record, and whether this call created it.</summary>
public readonly record struct ContributeResult(HashRecord Record, bool Created);

/// <summary>The outcome of one item of a bulk contribution.</summary>
public readonly record struct BulkContributeResult(long Id, bool Created);
