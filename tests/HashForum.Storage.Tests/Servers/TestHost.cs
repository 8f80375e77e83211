using System.Collections.Concurrent;
using System.Diagnostics;
using HashForum.Storage.Internal;

namespace HashForum.Storage.Tests.Servers;

/// <summary>
/// Stands in for one index-holding server: its own multiplexer, store and change-feed follower feeding an
/// in-memory map (the stand-in for the index).
/// </summary>
internal sealed class IndexHost : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;

    public IndexHost(string configuration, HashForumStoreOptions? options = null)
    {
        Options = options ?? new HashForumStoreOptions();
        Options.Redis = configuration;
        Connection = StoreConnection.Connect(Options, embedded: null);
        Store = new RedisHashStore(Connection, Options);
        Follower = new ChangeFeedFollower(Store, Sink, Options);
        _run = Task.Run(() => Follower.RunAsync(_stop.Token));
    }

    public HashForumStoreOptions Options { get; }

    public StoreConnection Connection { get; }

    public RedisHashStore Store { get; }

    public MemorySink Sink { get; } = new();

    public ChangeFeedFollower Follower { get; }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _run;
        Follower.Dispose();
        Connection.Dispose();
        _stop.Dispose();
    }
}

/// <summary>An <see cref="IChangeSink"/> keeping active records in a map, recording when each id arrived.</summary>
internal sealed class MemorySink : IChangeSink
{
    private readonly ConcurrentDictionary<long, long> _arrivals = new();
    private readonly Lock _lock = new();
    private Dictionary<long, ChangeEntry>? _loading;
    private Dictionary<long, ChangeEntry> _active = [];

    public int LoadBatches { get; private set; }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _active.Count;
            }
        }
    }

    public IReadOnlyList<long> Ids
    {
        get
        {
            lock (_lock)
            {
                return [.. _active.Keys];
            }
        }
    }

    public bool Contains(long id)
    {
        lock (_lock)
        {
            return _active.ContainsKey(id);
        }
    }

    /// <summary>Stopwatch timestamp at which <paramref name="id"/> was first applied or loaded.</summary>
    public bool TryGetArrival(long id, out long timestamp) => _arrivals.TryGetValue(id, out timestamp);

    public void BeginLoad() => _loading = [];

    public void Load(ReadOnlySpan<ChangeEntry> batch)
    {
        LoadBatches++;
        foreach (var entry in batch)
        {
            _loading![entry.RecordId] = entry;
            _arrivals.TryAdd(entry.RecordId, Stopwatch.GetTimestamp());
        }
    }

    public void EndLoad()
    {
        lock (_lock)
        {
            _active = _loading!;
            _loading = null;
        }
    }

    public void Apply(in ChangeEntry change)
    {
        lock (_lock)
        {
            if (change.Kind == ChangeKind.Added)
            {
                _active[change.RecordId] = change;
                _arrivals.TryAdd(change.RecordId, Stopwatch.GetTimestamp());
            }
            else if (change.Kind == ChangeKind.Retracted)
            {
                _active.Remove(change.RecordId);
            }
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds, or fails after <paramref name="timeout"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var stopwatch = Stopwatch.StartNew();
        while (!condition())
        {
            if (stopwatch.Elapsed > timeout)
            {
                Assert.Fail($"Timed out after {timeout.TotalSeconds} s waiting for: {what}");
            }

            await Task.Delay(2);
        }
    }
}
