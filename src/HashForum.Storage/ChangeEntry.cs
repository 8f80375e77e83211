namespace HashForum.Storage;

/// <summary>What a change log entry records.</summary>
public enum ChangeKind
{
    /// <summary>A record was created (active).</summary>
    Added = 1,

    /// <summary>A record was retracted.</summary>
    Retracted = 2,

    /// <summary>A record's labels changed.</summary>
    Relabeled = 3,

    /// <summary>A member's feedback on a record changed.</summary>
    Feedback = 4,
}

/// <summary>
/// One change log entry, or (with <see cref="Sequence"/> 0 and kind <see cref="ChangeKind.Added"/>) one active
/// record of a load. Carries what an index needs (id, signal, value) so that following the feed needs no extra
/// reads; anything else is in <see cref="IHashStore.GetAsync"/>.
/// </summary>
public readonly record struct ChangeEntry(int Partition, long Sequence, ChangeKind Kind, long RecordId, SignalType Signal, string Value)
{
    /// <summary>The value as a PDQ hash (only for <see cref="SignalType.Pdq"/>).</summary>
    public Hashing.Pdq.Hash256 ToPdqHash() => Signal == SignalType.Pdq
        ? Hashing.Pdq.Hash256.Parse(Value)
        : throw new InvalidOperationException($"Record {RecordId} is {Signal.ToWireName()}, not pdq.");
}

/// <summary>The result of reading the change log after a cursor.</summary>
public sealed class ChangeBatch
{
    internal ChangeBatch(IReadOnlyList<ChangeEntry> entries, StoreCursor cursor, bool reloadRequired, bool more)
    {
        Entries = entries;
        Cursor = cursor;
        ReloadRequired = reloadRequired;
        More = more;
    }

    /// <summary>The entries, in sequence order within each partition.</summary>
    public IReadOnlyList<ChangeEntry> Entries { get; }

    /// <summary>The cursor after these entries.</summary>
    public StoreCursor Cursor { get; }

    /// <summary>
    /// True when entries the reader has not seen were trimmed, or the store went back in time (its data was lost or
    /// replaced): the reader must load all active records again. <see cref="Entries"/> is then empty.
    /// </summary>
    public bool ReloadRequired { get; }

    /// <summary>True when at least one partition had more entries than were read: read again at once.</summary>
    public bool More { get; }
}
