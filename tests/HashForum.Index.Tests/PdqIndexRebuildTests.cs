using HashForum.Hashing.Pdq;

namespace HashForum.Index.Tests;

/// <summary>What a rebuild in one go relies on: the copy of the live contents, and when the index counts as fragmented.</summary>
[TestFixture]
public sealed class PdqIndexRebuildTests
{
    [Test]
    public void CopyLive_AfterSingleAddsAndRemoves_HoldsExactlyTheStoredPairs()
    {
        var random = new Random(21);
        var stored = TestData.Clustered(10_000, random);
        var index = TestData.Build(stored);
        var nextId = 1L << 40;
        for (var i = 0; i < 12_000; i++)
        {
            var hash = SyntheticHashes.Realistic(random);
            Assert.That(index.Add(nextId, hash), Is.True);
            stored[nextId++] = hash;
        }

        foreach (var id in stored.Keys.OrderBy(_ => random.Next()).Take(4_000).ToArray())
        {
            Assert.That(index.Remove(id), Is.True);
            stored.Remove(id);
        }

        var ids = new List<long> { -1 };
        var hashes = new List<Hash256> { Hash256.Zero };
        index.CopyLive(ids, hashes);

        Assert.That(ids, Has.Count.EqualTo(hashes.Count));
        // Sorted lists compared in order: NUnit's EquivalentTo is quadratic on tens of thousands of rows.
        Assert.That(ids.Zip(hashes).OrderBy(p => p.First).ToList(), Is.EqualTo(stored.OrderBy(p => p.Key).Select(p => (p.Key, p.Value)).ToList()));
    }

    [Test]
    public void IsFragmented_GrownBySingleAdds_TrueUntilRebuiltFromItsCopy()
    {
        var random = new Random(22);
        var index = new PdqIndex();
        for (var id = 0L; id < 20_000; id++)
        {
            index.Add(id, SyntheticHashes.Realistic(random));
        }

        var ids = new List<long>();
        var hashes = new List<Hash256>();
        index.CopyLive(ids, hashes);
        var rebuilt = PdqIndex.Build(ids.ToArray(), hashes.ToArray());

        Assert.Multiple(() =>
        {
            Assert.That(index.IsFragmented(), Is.True, $"{index.SegmentCount} segments");
            Assert.That(rebuilt.IsFragmented(), Is.False);
            Assert.That(rebuilt.SegmentCount, Is.EqualTo(1));
            Assert.That(rebuilt.Count, Is.EqualTo(index.Count));
            var query = hashes[1234];
            Assert.That(rebuilt.Search(query, 31), Is.EqualTo(index.Search(query, 31)));
        });
    }

    [Test]
    public void IsFragmented_EmptyOrBuiltInOneGo_False()
    {
        var random = new Random(23);
        var stored = TestData.Realistic(5_000, random);

        Assert.Multiple(() =>
        {
            Assert.That(new PdqIndex().IsFragmented(), Is.False);
            Assert.That(TestData.Build(stored).IsFragmented(), Is.False);
        });
    }
}
