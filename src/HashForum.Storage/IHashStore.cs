namespace HashForum.Storage;

/// <summary>
/// The record store: Redis (or the embedded Garnet) is the source of truth. Every mutation is written together with
/// a change log entry, atomically, so that servers holding the index in memory can follow the log.
/// </summary>
/// <remarks>
/// Failures: <see cref="StoreUnavailableException"/> when the store cannot be reached (fails fast, no queueing);
/// <see cref="ArgumentException"/> for invalid input, with a message that says what to fix.
/// </remarks>
public interface IHashStore
{
    /// <summary>
    /// The number of partitions the data is spread over: fixed when the store is first used (the configured count),
    /// read from the store afterwards.
    /// </summary>
    Task<int> GetPartitionsAsync();

    /// <summary>
    /// Contributes a record. Idempotent: the same (signal type, value, member) returns the existing record with
    /// <see cref="ContributeResult.Created"/> false, whatever its status.
    /// </summary>
    Task<ContributeResult> ContributeAsync(Contribution contribution, CancellationToken cancellationToken = default);

    /// <summary>Contributes many records, pipelined; results are in input order.</summary>
    Task<IReadOnlyList<BulkContributeResult>> ContributeManyAsync(
        IReadOnlyList<Contribution> contributions, CancellationToken cancellationToken = default);

    /// <summary>The record with this id, or null.</summary>
    Task<HashRecord?> GetAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>Every record (any member, any status) with exactly this value: one key read, no scan.</summary>
    Task<IReadOnlyList<HashRecord>> FindByValueAsync(
        SignalType signal, string value, CancellationToken cancellationToken = default);

    /// <summary>Retracts a record (no-op if already retracted); null if there is no such record.</summary>
    Task<HashRecord?> RetractAsync(long id, string member, CancellationToken cancellationToken = default);

    /// <summary>Replaces a record's labels; null if there is no such record.</summary>
    Task<HashRecord?> RelabelAsync(
        long id, IReadOnlyList<string> labels, CancellationToken cancellationToken = default);

    /// <summary>Sets <paramref name="member"/>'s opinion of a record (one per member); null if there is no such record.</summary>
    Task<HashRecord?> SetFeedbackAsync(
        long id, string member, FeedbackOpinion opinion, CancellationToken cancellationToken = default);

    /// <summary>The cursor at the current end of the change log.</summary>
    Task<StoreCursor> GetHeadAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads the entries after <paramref name="after"/> whose sequence numbers lie within the next
    /// <paramref name="maxPerPartition"/> of each partition; entries written together by one bulk write are read
    /// whole, so a page can hold a few hundred more.
    /// </summary>
    Task<ChangeBatch> ReadChangesAsync(
        StoreCursor after, int maxPerPartition = 1000, CancellationToken cancellationToken = default);

    /// <summary>
    /// Feeds every active record to <paramref name="sink"/> in batches (bounded memory) and returns the cursor to
    /// follow the log from. The head is read first, so a change made during the load may be both loaded and then
    /// replayed from the log: sinks apply changes idempotently.
    /// </summary>
    Task<StoreCursor> LoadActiveAsync(IChangeSink sink, CancellationToken cancellationToken = default);
}

/// <summary>
/// Receives the change feed: what keeps a server's in-memory index current. Called from one thread at a time.
/// </summary>
public interface IChangeSink
{
    /// <summary>
    /// A (re)load begins: the active records follow through <see cref="Load"/>, then <see cref="EndLoad"/>.
    /// A sink may keep answering from its old state and swap at <see cref="EndLoad"/>.
    /// </summary>
    void BeginLoad();

    /// <summary>A batch of active records (kind <see cref="ChangeKind.Added"/>, sequence 0).</summary>
    void Load(ReadOnlySpan<ChangeEntry> batch);

    /// <summary>The load is complete.</summary>
    void EndLoad();

    /// <summary>
    /// One change, in sequence order within its partition. Must be idempotent: an add of a record already held, or a
    /// retraction of a record not held, can arrive right after a load.
    /// </summary>
    void Apply(in ChangeEntry change);
}
