using Grpc.Core;
using HashForum.Contracts.V1;
using HashForum.MemberApi.Tests.Infrastructure;

namespace HashForum.MemberApi.Tests;

/// <summary>Mirroring through SyncService: a snapshot, then pages and streams of changes with retractions.</summary>
[TestFixture]
[NonParallelizable]
internal sealed class SyncServiceTests : MemberApiFixture
{
    private async Task<HashRecord> ContributeAsync() =>
        (await Server.Contribute.ContributeAsync(new ContributeRequest { Pdq = RandomHash().ToString(), Quality = 90 }, TestServer.With(MemberKey))).Records[0];

    private async Task<(List<HashRecord> Records, string Cursor)> SnapshotAsync(int chunk = 0)
    {
        using var call = Server.Sync.Snapshot(new SnapshotRequest { ChunkSize = chunk }, TestServer.With(MemberKey));
        var records = new List<HashRecord>();
        var cursor = string.Empty;
        await foreach (var part in call.ResponseStream.ReadAllAsync())
        {
            records.AddRange(part.Records);
            cursor = part.Cursor.Length > 0 ? part.Cursor : cursor;
        }

        return (records, cursor);
    }

    [Test]
    public async Task Snapshot_ActiveRecords_EveryOneAndACursor()
    {
        var kept = await ContributeAsync();
        var gone = await ContributeAsync();
        await Server.Contribute.RetractAsync(new RetractRequest { Id = gone.Id }, TestServer.With(MemberKey));

        var (records, cursor) = await SnapshotAsync(chunk: 1);

        Assert.That(records.Select(r => r.Id), Does.Contain(kept.Id).And.Not.Contain(gone.Id));
        Assert.That(records.Select(r => r.Id), Is.Unique);
        Assert.That(cursor, Is.Not.Empty);
    }

    [Test]
    public async Task ReadChanges_AfterSnapshot_AdditionsAndRetractionsInOrder()
    {
        var (_, cursor) = await SnapshotAsync();
        var added = await ContributeAsync();
        await Server.Contribute.RetractAsync(new RetractRequest { Id = added.Id }, TestServer.With(MemberKey));

        var page = await Server.Sync.ReadChangesAsync(new ReadChangesRequest { Cursor = cursor }, TestServer.With(MemberKey));

        var mine = page.Changes.Where(c => c.RecordId == added.Id).ToList();
        Assert.That(mine.Select(c => c.Kind), Is.EqualTo(new[] { ChangeKind.Added, ChangeKind.Retracted }));
        Assert.That(mine[0].Value, Is.EqualTo(added.Value));
        Assert.That(mine[1].Record.Status, Is.EqualTo(RecordStatus.Retracted));
        var after = await Server.Sync.ReadChangesAsync(new ReadChangesRequest { Cursor = page.Cursor }, TestServer.With(MemberKey));
        Assert.That(after.Changes, Is.Empty);
    }

    [Test]
    public async Task ReadChanges_EmptyCursor_FromTheStartOfTheLog()
    {
        var added = await ContributeAsync();

        var ids = new List<long>();
        var cursor = string.Empty;
        ChangePage page;
        do
        {
            page = await Server.Sync.ReadChangesAsync(new ReadChangesRequest { Cursor = cursor, MaxChanges = 2 }, TestServer.With(MemberKey));
            ids.AddRange(page.Changes.Select(c => c.RecordId));
            cursor = page.Cursor;
        }
        while (page.More);

        Assert.That(ids, Does.Contain(added.Id));
    }

    [Test]
    public async Task StreamChanges_NewContributionAndRetraction_Arrive()
    {
        var (_, cursor) = await SnapshotAsync();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var call = Server.Sync.StreamChanges(new ReadChangesRequest { Cursor = cursor }, TestServer.With(MemberKey).WithCancellationToken(cancel.Token));
        var added = await ContributeAsync();
        await Server.Contribute.RetractAsync(new RetractRequest { Id = added.Id }, TestServer.With(MemberKey));

        var kinds = new List<ChangeKind>();
        while (kinds.Count < 2 && await call.ResponseStream.MoveNext(cancel.Token))
        {
            kinds.AddRange(call.ResponseStream.Current.Changes.Where(c => c.RecordId == added.Id).Select(c => c.Kind));
        }

        Assert.That(kinds, Is.EqualTo(new[] { ChangeKind.Added, ChangeKind.Retracted }));
    }

    [TestCase("garbage")]
    [TestCase("1.3.0.0.0")]
    public async Task ReadChanges_BadCursor_InvalidArgument(string cursor)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await Server.Sync.ReadChangesAsync(new ReadChangesRequest { Cursor = cursor }, TestServer.With(MemberKey)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(ex.Status.Detail, Does.StartWith("cursor: "));
    }

    [Test]
    public async Task ReadChanges_NegativePage_InvalidArgument()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await Server.Sync.ReadChangesAsync(new ReadChangesRequest { MaxChanges = -1 }, TestServer.With(MemberKey)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(ex.Status.Detail, Does.StartWith("max_changes: "));
    }

    [Test]
    public async Task ReadChanges_KeyWithoutSyncScope_PermissionDenied()
    {
        var (_, key) = await Server.NewMemberAsync(OperatorKey, "No sync", "lookup");

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await Server.Sync.ReadChangesAsync(new ReadChangesRequest(), TestServer.With(key)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.PermissionDenied));
    }
}
