using HashForum.Hashing.Pdq;
using HashForum.Index;
using HashForum.Server.Indexing;
using HashForum.Storage;

namespace HashForum.Server.Tests;

/// <summary>The background rebuild in one go of an index fragmented by single adds.</summary>
[TestFixture]
public sealed class IndexSinkRebuildTests
{
    [Test]
    public void RebuildIfFragmented_ChangesArrivingDuringTheBuild_AreAllInTheNewIndex()
    {
        var sink = new IndexSink();
        sink.BeginLoad();
        sink.EndLoad();
        var random = new Random(31);
        var oracle = new Dictionary<long, Hash256>();
        var sequence = 0L;
        void Add(long id, Hash256 hash)
        {
            sink.Apply(new ChangeEntry(0, ++sequence, ChangeKind.Added, id, SignalType.Pdq, hash.ToString()));
            oracle[id] = hash;
        }

        for (var id = 0L; id < 30_000; id++)
        {
            Add(id, SyntheticHashes.Realistic(random));
        }

        // Act: a writer keeps adding and retracting while rebuilds run on this thread.
        var writerRandom = new Random(32);
        var writer = Task.Run(() =>
        {
            for (var id = 30_000L; id < 40_000; id++)
            {
                Add(id, SyntheticHashes.Realistic(writerRandom));
                if (id % 4 == 0)
                {
                    var gone = id - 30_000;
                    sink.Apply(new ChangeEntry(0, ++sequence, ChangeKind.Retracted, gone, SignalType.Pdq, oracle[gone].ToString()));
                    oracle.Remove(gone);
                }
            }
        });
        var rebuilds = 0;
        while (!writer.IsCompleted)
        {
            rebuilds += sink.RebuildIfFragmented(TimeSpan.Zero) ? 1 : 0;
            Thread.Sleep(5); // let the writer make progress between rebuilds
        }

        writer.GetAwaiter().GetResult();
        rebuilds += sink.RebuildIfFragmented(TimeSpan.Zero) ? 1 : 0;

        // Assert: at least one rebuild swapped in, and the index holds exactly what the feed said.
        var ids = new List<long>();
        var hashes = new List<Hash256>();
        sink.Index.CopyLive(ids, hashes);
        Assert.Multiple(() =>
        {
            Assert.That(rebuilds, Is.GreaterThan(0));
            // Sorted lists compared in order: NUnit's EquivalentTo is quadratic on tens of thousands of rows.
            Assert.That(ids.Zip(hashes).OrderBy(p => p.First).ToList(), Is.EqualTo(oracle.OrderBy(p => p.Key).Select(p => (p.Key, p.Value)).ToList()));
        });
    }

    [Test]
    public void RebuildIfFragmented_ChangeWithinTheQuietTime_Waits()
    {
        var sink = new IndexSink();
        sink.BeginLoad();
        sink.EndLoad();
        var random = new Random(33);
        for (var id = 0L; id < 10_000; id++)
        {
            sink.Apply(new ChangeEntry(0, id + 1, ChangeKind.Added, id, SignalType.Pdq, SyntheticHashes.Realistic(random).ToString()));
        }

        Assert.Multiple(() =>
        {
            Assert.That(sink.Index.IsFragmented(), Is.True);
            Assert.That(sink.RebuildIfFragmented(TimeSpan.FromHours(1)), Is.False);
            Assert.That(sink.RebuildIfFragmented(TimeSpan.Zero), Is.True);
            Assert.That(sink.Index.IsFragmented(), Is.False);
        });
    }
}
