using Grpc.Core;
using HashForum.Membership;
using HashForum.Server.Auth;
using HashForum.Storage;
using Microsoft.Extensions.Options;
using V1 = HashForum.Contracts.V1;

namespace HashForum.Server.Services.Members;

/// <summary>
/// Mirroring: a snapshot of the active set with the cursor it is valid at, then the change log after that cursor
/// (retractions included) as pages or a live stream.
/// </summary>
[RequiresScope(Scopes.Sync)]
internal sealed class SyncService(IHashStore store, IOptions<MemberApiOptions> options, ILogger<SyncService> logger)
    : V1.SyncService.SyncServiceBase
{
    private const int DefaultPage = 1000;
    private readonly MemberApiOptions _options = options.Value;

    public override async Task Snapshot(V1.SnapshotRequest request, IServerStreamWriter<V1.SnapshotChunk> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        var chunkSize = PageSize(request.ChunkSize, "chunk_size");
        var ct = context.CancellationToken;

        // Ids only (8 bytes a record) while the store walks the active set; the records follow chunk by chunk.
        var ids = new IdCollector();
        var cursor = await store.LoadActiveAsync(ids, ct).ConfigureAwait(false);
        ids.Ids.Sort();
        long sent = 0;
        for (var start = 0; start < ids.Ids.Count || start == 0; start += chunkSize)
        {
            var count = Math.Min(chunkSize, ids.Ids.Count - start);
            var records = await Task.WhenAll(ids.Ids.GetRange(start, count).Select(id => store.GetAsync(id, ct))).ConfigureAwait(false);
            var chunk = new V1.SnapshotChunk();
            foreach (var record in records)
            {
                if (record is { Status: RecordStatus.Active })
                {
                    chunk.Records.Add(record.ToProto());
                }
            }

            sent += chunk.Records.Count;
            if (start + chunkSize >= ids.Ids.Count)
            {
                chunk.Cursor = cursor.ToString();
            }

            await responseStream.WriteAsync(chunk, ct).ConfigureAwait(false);
            if (ids.Ids.Count == 0)
            {
                break;
            }
        }

        MemberApiLog.SnapshotSent(logger, sent, context.GetCaller().MemberId);
    }

    public override async Task<V1.ChangePage> ReadChanges(V1.ReadChangesRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var cursor = await ParseCursorAsync(request.Cursor, context.CancellationToken).ConfigureAwait(false);
        return await ReadPageAsync(cursor, PageSize(request.MaxChanges, "max_changes"), context.CancellationToken).ConfigureAwait(false);
    }

    public override async Task StreamChanges(V1.ReadChangesRequest request, IServerStreamWriter<V1.ChangePage> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        var ct = context.CancellationToken;
        var cursor = await ParseCursorAsync(request.Cursor, ct).ConfigureAwait(false);
        var max = PageSize(request.MaxChanges, "max_changes");
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var page = await ReadPageAsync(cursor, max, ct).ConfigureAwait(false);
                if (page.Changes.Count > 0 || page.ReloadRequired)
                {
                    await responseStream.WriteAsync(page, ct).ConfigureAwait(false);
                }

                if (page.ReloadRequired)
                {
                    return;
                }

                cursor = StoreCursor.Parse(page.Cursor);
                if (!page.More)
                {
                    await Task.Delay(_options.SyncPollInterval, ct).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client hung up: the normal end of a stream.
        }
    }

    private async Task<V1.ChangePage> ReadPageAsync(StoreCursor cursor, int max, CancellationToken ct)
    {
        var perPartition = Math.Max(1, (max + cursor.Partitions - 1) / cursor.Partitions);
        var batch = await store.ReadChangesAsync(cursor, perPartition, ct).ConfigureAwait(false);
        var page = new V1.ChangePage { Cursor = batch.Cursor.ToString(), More = batch.More, ReloadRequired = batch.ReloadRequired };
        if (batch.Entries.Count == 0)
        {
            return page;
        }

        var ids = batch.Entries.Select(e => e.RecordId).Distinct().ToArray();
        var records = await Task.WhenAll(ids.Select(id => store.GetAsync(id, ct))).ConfigureAwait(false);
        var byId = new Dictionary<long, HashRecord>(ids.Length);
        foreach (var record in records)
        {
            if (record is not null)
            {
                byId[record.Id] = record;
            }
        }

        foreach (var entry in batch.Entries)
        {
            page.Changes.Add(new V1.Change
            {
                Kind = entry.Kind.ToProto(),
                RecordId = entry.RecordId,
                Signal = entry.Signal.ToProto(),
                Value = entry.Value,
                Record = byId.TryGetValue(entry.RecordId, out var r) ? r.ToProto() : null,
            });
        }

        return page;
    }

    private async Task<StoreCursor> ParseCursorAsync(string text, CancellationToken ct)
    {
        var partitions = await store.GetPartitionsAsync().ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(text))
        {
            return StoreCursor.Start(partitions);
        }

        StoreCursor cursor;
        try
        {
            cursor = StoreCursor.Parse(text.Trim());
        }
        catch (FormatException)
        {
            throw RequestErrors.Invalid("cursor", "not a cursor this service gave out; pass one from a ChangePage or a Snapshot, or empty to start.");
        }

        if (cursor.Partitions != partitions)
        {
            throw RequestErrors.Invalid("cursor", $"the cursor covers {cursor.Partitions} partitions but the store has {partitions}; take a new Snapshot.");
        }

        ct.ThrowIfCancellationRequested();
        return cursor;
    }

    private int PageSize(int requested, string field) => requested switch
    {
        0 => Math.Min(DefaultPage, _options.MaxSyncPage),
        < 0 => throw RequestErrors.Invalid(field, $"a page size is 1 to {_options.MaxSyncPage}; got {requested}."),
        _ => Math.Min(requested, _options.MaxSyncPage),
    };

    /// <summary>Collects the ids of a load; nothing else is kept.</summary>
    private sealed class IdCollector : IChangeSink
    {
        public List<long> Ids { get; } = [];

        public void BeginLoad() => Ids.Clear();

        public void Load(ReadOnlySpan<ChangeEntry> batch)
        {
            foreach (var entry in batch)
            {
                Ids.Add(entry.RecordId);
            }
        }

        public void EndLoad()
        {
        }

        public void Apply(in ChangeEntry change)
        {
        }
    }
}
