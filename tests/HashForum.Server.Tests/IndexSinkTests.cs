using HashForum.Hashing.Pdq;
using HashForum.Server.Indexing;
using HashForum.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HashForum.Server.Tests;

/// <summary>The change feed into the index, and readiness that waits for the first load.</summary>
internal sealed class IndexSinkTests
{
    private const string HashA = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
    private const string HashB = "0000000000000000000000000000000000000000000000000000000000000001";

    [Test]
    public async Task CheckHealthAsync_BeforeFirstLoad_UnhealthyThenHealthy()
    {
        var sink = new IndexSink();
        var check = new IndexReadinessCheck(sink);

        var before = await check.CheckHealthAsync(new HealthCheckContext());
        sink.BeginLoad();
        sink.Load([Entry(ChangeKind.Added, 1, HashA)]);
        var during = await check.CheckHealthAsync(new HealthCheckContext());
        sink.EndLoad();
        var after = await check.CheckHealthAsync(new HealthCheckContext());

        Assert.That(before.Status, Is.EqualTo(HealthStatus.Unhealthy));
        Assert.That(during.Status, Is.EqualTo(HealthStatus.Unhealthy));
        Assert.That(after.Status, Is.EqualTo(HealthStatus.Healthy));
    }

    [Test]
    public void Load_DuplicateAndNonPdqEntries_IndexHoldsEachPdqRecordOnce()
    {
        var sink = new IndexSink();

        sink.BeginLoad();
        sink.Load([Entry(ChangeKind.Added, 1, HashA), Entry(ChangeKind.Added, 1, HashA)]);
        sink.Load([new ChangeEntry(0, 0, ChangeKind.Added, 2, SignalType.Md5, "00112233445566778899aabbccddeeff")]);
        sink.EndLoad();

        Assert.That(sink.Index.Count, Is.EqualTo(1));
        Assert.That(sink.Index.Search(Hash256.Parse(HashA), 0).Single().Id, Is.EqualTo(1));
    }

    [Test]
    public void Apply_AddedThenRetracted_FoundThenGone()
    {
        var sink = new IndexSink();
        sink.BeginLoad();
        sink.EndLoad();

        sink.Apply(Entry(ChangeKind.Added, 7, HashB));
        var found = sink.Index.Search(Hash256.Parse(HashB), 0);
        sink.Apply(Entry(ChangeKind.Added, 7, HashB)); // replayed after a load: idempotent
        sink.Apply(Entry(ChangeKind.Retracted, 7, HashB));
        sink.Apply(Entry(ChangeKind.Retracted, 7, HashB));

        Assert.That(found.Select(m => m.Id), Is.EqualTo(new long[] { 7 }));
        Assert.That(sink.Index.Search(Hash256.Parse(HashB), 0), Is.Empty);
    }

    [Test]
    public void EndLoad_Reload_ReplacesTheIndex()
    {
        var sink = new IndexSink();
        sink.BeginLoad();
        sink.Load([Entry(ChangeKind.Added, 1, HashA)]);
        sink.EndLoad();

        sink.BeginLoad();
        sink.Load([Entry(ChangeKind.Added, 2, HashB)]);
        sink.EndLoad();

        Assert.That(sink.Index.Contains(1), Is.False);
        Assert.That(sink.Index.Contains(2), Is.True);
    }

    private static ChangeEntry Entry(ChangeKind kind, long id, string hash) => new(0, 0, kind, id, SignalType.Pdq, hash);
}
