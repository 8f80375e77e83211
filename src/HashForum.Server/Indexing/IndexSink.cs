using HashForum.Hashing.Pdq;
using HashForum.Index;
using HashForum.Storage;

namespace HashForum.Server.Indexing;

/// <summary>
/// Keeps the server's in-memory PDQ index current from the change feed: a (re)load builds a new index and swaps it
/// in at the end (lookups keep the old one meanwhile); changes then apply one by one, idempotently.
/// </summary>
public sealed class IndexSink : IChangeSink
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private PdqIndex _index = new();
    private List<long>? _loadIds;
    private List<Hash256>? _loadHashes;
    private HashSet<long>? _loadSeen;

    /// <summary>The current index (lookups read it without locks).</summary>
    public PdqIndex Index => Volatile.Read(ref _index);

    /// <summary>Completes once the first load from the store is in <see cref="Index"/>.</summary>
    public Task Ready => _ready.Task;

    public bool IsReady => _ready.Task.IsCompletedSuccessfully;

    public void BeginLoad()
    {
        _loadIds = [];
        _loadHashes = [];
        _loadSeen = [];
    }

    public void Load(ReadOnlySpan<ChangeEntry> batch)
    {
        if (_loadIds is null || _loadHashes is null || _loadSeen is null)
        {
            throw new InvalidOperationException("Load before BeginLoad.");
        }

        foreach (var entry in batch)
        {
            if (entry.Signal == SignalType.Pdq && _loadSeen.Add(entry.RecordId))
            {
                _loadIds.Add(entry.RecordId);
                _loadHashes.Add(entry.ToPdqHash());
            }
        }
    }

    public void EndLoad()
    {
        var ids = _loadIds ?? [];
        var hashes = _loadHashes ?? [];
        Volatile.Write(ref _index, PdqIndex.Build(
            System.Runtime.InteropServices.CollectionsMarshal.AsSpan(ids),
            System.Runtime.InteropServices.CollectionsMarshal.AsSpan(hashes)));
        _loadIds = null;
        _loadHashes = null;
        _loadSeen = null;
        _ready.TrySetResult();
    }

    public void Apply(in ChangeEntry change)
    {
        if (change.Signal != SignalType.Pdq)
        {
            return;
        }

        var index = Index;
        switch (change.Kind)
        {
            case ChangeKind.Added:
                _ = index.Add(change.RecordId, change.ToPdqHash());
                break;
            case ChangeKind.Retracted:
                _ = index.Remove(change.RecordId);
                break;
            default:
                break; // Labels and feedback do not change what matches.
        }
    }
}
