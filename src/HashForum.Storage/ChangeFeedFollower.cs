using HashForum.Storage.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace HashForum.Storage;

/// <summary>
/// Keeps an <see cref="IChangeSink"/> (a server's in-memory index) current: loads every active record, then tails
/// the change log, woken by publish/subscribe and polling every <see cref="HashForumStoreOptions.PollInterval"/> in
/// case a wake-up is lost. Reloads when it fell behind the trimmed log or the store lost data; rides out store
/// outages (the sink keeps its state, so lookups go on) and catches up by itself when the store returns.
/// </summary>
public sealed class ChangeFeedFollower : IDisposable
{
    private const int PageSize = 1000;
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(500);

    private readonly IHashStore _store;
    private readonly IChangeSink _sink;
    private readonly TimeSpan _pollInterval;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private StoreCursor? _position;
    private long _applied;
    private long _loads;

    /// <summary>Creates a follower feeding <paramref name="sink"/> from <paramref name="store"/>.</summary>
    public ChangeFeedFollower(IHashStore store, IChangeSink sink, HashForumStoreOptions options, ILogger<ChangeFeedFollower>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _sink = sink;
        _pollInterval = options.PollInterval;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Completes when the first load has been handed to the sink.</summary>
    public Task Loaded => _loaded.Task;

    /// <summary>The cursor up to which changes have been applied (null before the first load).</summary>
    public StoreCursor? Position => Volatile.Read(ref _position);

    /// <summary>Changes applied since start.</summary>
    public long AppliedCount => Interlocked.Read(ref _applied);

    /// <summary>Full loads done since start (1 after a clean start; more after trimming or data loss).</summary>
    public long LoadCount => Interlocked.Read(ref _loads);

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var subscribed = false;
        var failing = false;
        StoreCursor? cursor = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                subscribed = subscribed || await TrySubscribeAsync().ConfigureAwait(false);
                if (cursor is null)
                {
                    cursor = await _store.LoadActiveAsync(_sink, cancellationToken).ConfigureAwait(false);
                    Interlocked.Increment(ref _loads);
                    Volatile.Write(ref _position, cursor);
                    _loaded.TrySetResult();
                }

                var batch = await _store.ReadChangesAsync(cursor, PageSize, cancellationToken).ConfigureAwait(false);
                if (failing)
                {
                    StorageLog.FollowResumed(_logger);
                    failing = false;
                }

                if (batch.ReloadRequired)
                {
                    StorageLog.ReloadRequired(_logger);
                    cursor = null;
                    continue;
                }

                if (!TryApply(batch.Entries))
                {
                    cursor = null;
                    continue;
                }

                cursor = batch.Cursor;
                Volatile.Write(ref _position, cursor);
                if (!batch.More)
                {
                    await _wake.WaitAsync(_pollInterval, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is StoreUnavailableException or RedisException or StoreLayoutException)
            {
                // The store cannot be reached, or holds a layout this build does not read: said once, retried until
                // it can be read (a store migrated in place is then picked up).
                if (!failing)
                {
                    if (ex is StoreLayoutException)
                    {
                        StorageLog.StoreUnreadable(_logger, ex.Message);
                    }
                    else
                    {
                        StorageLog.FollowFailed(_logger, ex, (long)RetryDelay.TotalMilliseconds);
                    }

                    failing = true;
                }

                if (!await DelayAsync(cancellationToken).ConfigureAwait(false))
                {
                    break;
                }
            }
#pragma warning disable CA1031 // Anything else (a sink failing during a load, a malformed entry) must not stop the feed: start over.
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
#pragma warning restore CA1031
            {
                StorageLog.SinkFailed(_logger, ex);
                cursor = null;
                if (!await DelayAsync(cancellationToken).ConfigureAwait(false))
                {
                    break;
                }
            }
        }
    }

    public void Dispose() => _wake.Dispose();

    private static async Task<bool> DelayAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(RetryDelay, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private bool TryApply(IReadOnlyList<ChangeEntry> entries)
    {
        try
        {
            for (var i = 0; i < entries.Count; i++)
            {
                var entry = entries[i];
                _sink.Apply(in entry);
                Interlocked.Increment(ref _applied);
            }

            return true;
        }
#pragma warning disable CA1031 // A faulty sink must not stop the feed: it is reloaded from the store instead.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            StorageLog.SinkFailed(_logger, ex);
            return false;
        }
    }

    private async Task<bool> TrySubscribeAsync()
    {
        if (_store is not RedisHashStore redis)
        {
            return true; // polling only
        }

        await redis.SubscribeAsync(Wake).ConfigureAwait(false);
        return true;
    }

    private void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another wake-up got there first: one is enough.
            }
        }
    }
}
