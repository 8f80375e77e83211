using HashForum.Hashing.Pdq;
using HashForum.Index;
using HashForum.Storage;

namespace HashForum.Server.Indexing;

/// <summary>
/// Keeps the server's in-memory PDQ index current from the change feed: a (re)load builds a new index and swaps it
/// in at the end (lookups keep the old one meanwhile); changes then apply one by one, idempotently. An index grown
/// by many single adds can be rebuilt in one go in the background (<see cref="RebuildIfFragmented"/>): changes that
/// arrive meanwhile go to the live index and are replayed on the new one before the swap, so none is lost and
/// neither lookups nor the feed wait for the build.
/// </summary>
public sealed class IndexSink : IChangeSink
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Serialises applying a change with starting and finishing a rebuild (never held during the build itself).
    private readonly Lock _gate = new();
    private PdqIndex _index = new();
    private List<ChangeEntry>? _pending;
    private long _lastChangeMs = Environment.TickCount64;
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
        var loaded = PdqIndex.Build(
            System.Runtime.InteropServices.CollectionsMarshal.AsSpan(ids),
            System.Runtime.InteropServices.CollectionsMarshal.AsSpan(hashes));
        lock (_gate)
        {
            Volatile.Write(ref _index, loaded);
        }

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

        lock (_gate)
        {
            ApplyTo(Index, change);
            _pending?.Add(change);
            _lastChangeMs = Environment.TickCount64;
        }
    }

    /// <summary>
    /// Rebuilds the index in one go when it is fragmented (<see cref="PdqIndex.IsFragmented"/>) and no change has
    /// arrived for <paramref name="quietFor"/>; true when a rebuilt index was swapped in. Runs the build on the
    /// calling thread (seconds at millions of hashes) and holds two indexes in memory while it does.
    /// </summary>
    public bool RebuildIfFragmented(TimeSpan quietFor)
    {
        var index = Index;
        if (!IsReady || !index.IsFragmented())
        {
            return false;
        }

        var ids = new List<long>();
        var hashes = new List<Hash256>();
        lock (_gate)
        {
            if (_pending is not null || Environment.TickCount64 - _lastChangeMs < quietFor.TotalMilliseconds || !ReferenceEquals(index, _index))
            {
                return false;
            }

            // From here every change applied to the live index is also kept for the new one.
            _pending = [];
            index.CopyLive(ids, hashes);
        }

        PdqIndex rebuilt;
        try
        {
            rebuilt = PdqIndex.Build(
                System.Runtime.InteropServices.CollectionsMarshal.AsSpan(ids),
                System.Runtime.InteropServices.CollectionsMarshal.AsSpan(hashes));
        }
        catch
        {
            lock (_gate)
            {
                _pending = null;
            }

            throw;
        }

        lock (_gate)
        {
            var pending = _pending!;
            _pending = null;
            if (!ReferenceEquals(index, _index))
            {
                return false; // a reload swapped in a newer index meanwhile
            }

            foreach (var change in pending)
            {
                ApplyTo(rebuilt, change);
            }

            Volatile.Write(ref _index, rebuilt);
            return true;
        }
    }

    private static void ApplyTo(PdqIndex index, in ChangeEntry change)
    {
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
