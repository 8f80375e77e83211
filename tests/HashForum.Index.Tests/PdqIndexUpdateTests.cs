using HashForum.Hashing.Pdq;
using HashForum.Index.Internal;

namespace HashForum.Index.Tests;

/// <summary>Adds, removes and re-adds, checked against the oracle's view after each batch of changes.</summary>
[TestFixture]
public sealed class PdqIndexUpdateTests
{
    [Test]
    public void AddRemoveReAdd_ManyRounds_MatchesOracleAfterEachRound()
    {
        // Arrange: a bulk-built base, then enough single adds to flush the tail into segments several
        // times, and enough removes to make segments rebuild themselves.
        var random = new Random(11);
        var stored = TestData.Clustered(20_000, random);
        var index = TestData.Build(stored);
        var results = new List<IndexMatch>();
        var nextId = 1L << 50;

        for (var round = 0; round < 8; round++)
        {
            // Act: add 3000 (some near-duplicates of stored ones, some repeated values), remove 3000, re-add 500.
            var values = stored.Values.ToArray();
            for (var i = 0; i < 3_000; i++)
            {
                var hash = i % 3 == 0 ? SyntheticHashes.FlipBits(values[random.Next(values.Length)], random.Next(8), random) : SyntheticHashes.Realistic(random);
                Assert.That(index.Add(nextId, hash), Is.True);
                stored[nextId++] = hash;
            }

            var removed = stored.Keys.OrderBy(_ => random.Next()).Take(3_000).ToArray();
            foreach (var id in removed)
            {
                Assert.That(index.Remove(id), Is.True);
                stored.Remove(id);
            }

            foreach (var id in removed.Take(500))
            {
                var hash = SyntheticHashes.Realistic(random);
                Assert.That(index.Add(id, hash), Is.True);
                stored[id] = hash;
            }

            // Assert
            Assert.That(index.Count, Is.EqualTo(stored.Count));
            foreach (var radius in new[] { 0, 16, 31, 63, 64 })
            {
                foreach (var query in TestData.Queries(stored, 10, radius, random))
                {
                    foreach (var mode in new[] { SearchMode.Auto, SearchMode.Index })
                    {
                        index.Search(query, radius, results, mode);
                        Same.Rows(results, Oracle.Search(stored, query, radius), $"round {round}, radius {radius}, {mode}");
                    }
                }
            }
        }

        Assert.That(index.SegmentCount, Is.LessThan(IdMap.KeyCount - 1));
    }

    [Test]
    public void Add_ExistingId_ReturnsFalseAndKeepsTheFirstHash()
    {
        // Arrange
        var random = new Random(3);
        var first = SyntheticHashes.Realistic(random);
        var index = new PdqIndex();
        index.Add(42, first);

        // Act
        var added = index.Add(42, SyntheticHashes.Realistic(random));

        // Assert
        Assert.That(added, Is.False);
        Assert.That(index.Search(first, 0), Is.EqualTo(new[] { new IndexMatch(42, 0, 0) }));
    }

    [Test]
    public void Remove_UnknownOrRemovedId_ReturnsFalse()
    {
        // Arrange
        var index = new PdqIndex();
        index.Add(1, SyntheticHashes.Realistic(new Random(1)));
        index.Remove(1);

        // Act and Assert
        Assert.That(index.Remove(1), Is.False);
        Assert.That(index.Remove(2), Is.False);
        Assert.That(index.Contains(1), Is.False);
        Assert.That(index.Count, Is.Zero);
    }

    [Test]
    public void Remove_OneOfSeveralIdsOnAHash_KeepsTheOthers()
    {
        // Arrange: the hash is shared inside a built segment, and again in the tail.
        var random = new Random(5);
        var stored = TestData.Realistic(10_000, random);
        var shared = stored.Values.First();
        stored[-1] = shared;
        stored[-2] = shared;
        var index = TestData.Build(stored);
        index.Add(-3, shared);
        stored[-3] = shared;

        // Act
        index.Remove(-2);
        stored.Remove(-2);

        // Assert
        Assert.That(index.Search(shared, 10), Is.EqualTo(Oracle.Search(stored, shared, 10)));
    }

    [Test]
    public void AddRange_RepeatedOrPresentId_ThrowsAndAddsNothing()
    {
        // Arrange
        var random = new Random(9);
        var index = TestData.Build(TestData.Realistic(5_000, random));
        var count = index.Count;
        var ids = Enumerable.Range(0, 5_000).Select(i => (long)i + (1L << 45)).ToArray();
        ids[^1] = ids[0];
        var hashes = ids.Select(_ => SyntheticHashes.Realistic(random)).ToArray();

        // Act and Assert
        Assert.That(() => index.AddRange(ids, hashes), Throws.ArgumentException);
        Assert.That(() => index.AddRange(ids.AsSpan(0, 10), hashes.AsSpan(0, 9)), Throws.ArgumentException);
        Assert.That(() => index.AddRange(ids.AsSpan(0, 3), [.. hashes.AsSpan(0, 2), hashes[0]]), Throws.Nothing);
        Assert.That(() => index.AddRange(ids.AsSpan(0, 3), hashes.AsSpan(0, 3)), Throws.ArgumentException);
        Assert.That(index.Count, Is.EqualTo(count + 3));
        Assert.That(index.Contains(ids[1]), Is.True);
        Assert.That(index.Contains(ids[4]), Is.False);
    }

    [Test]
    public void AddRange_LargeBatchOnLiveIndex_IsSearchableAndMerges()
    {
        // Arrange
        var random = new Random(13);
        var stored = TestData.Realistic(20_000, random);
        var index = TestData.Build(stored);
        var more = TestData.Clustered(20_000, random);
        foreach (var id in stored.Keys)
        {
            more.Remove(id);
        }

        // Act
        index.AddRange([.. more.Keys], [.. more.Values]);
        foreach (var (id, hash) in more)
        {
            stored[id] = hash;
        }

        // Assert
        Assert.That(index.SegmentCount, Is.EqualTo(1), "equal-sized segments merge");
        foreach (var query in TestData.Queries(stored, 20, 31, random))
        {
            Assert.That(index.Search(query, 31), Is.EqualTo(Oracle.Search(stored, query, 31)));
        }
    }

    [Test]
    public void Remove_MostOfABuiltIndex_RebuildsAndStaysExact()
    {
        // Arrange
        var random = new Random(17);
        var stored = TestData.Realistic(20_000, random);
        var index = TestData.Build(stored);

        // Act
        foreach (var id in stored.Keys.Take(19_990).ToArray())
        {
            index.Remove(id);
            stored.Remove(id);
        }

        // Assert
        Assert.That(index.ValueCount, Is.LessThan(20_000 / 4), "removed ids are compacted away");
        var query = stored.Values.First();
        Assert.That(index.Search(query, 256), Is.EqualTo(Oracle.Search(stored, query, 256)));
    }

    [Test]
    public void Build_200kRealisticHashes_StaysUnder120BytesPerHash()
    {
        // Arrange
        var random = new Random(19);
        var stored = TestData.Realistic(200_000, random);

        // Act
        var index = TestData.Build(stored);

        // Assert: loose here (small indexes carry fixed tables); the benchmark measures 10M.
        Assert.That(index.ArrayBytes / (double)stored.Count, Is.LessThan(120));
    }

    [Test]
    public void Hash_Value_IsNotAffectedByTheIndex()
    {
        // Arrange
        var hash = Hash256.Parse(new string('a', 64));
        var index = new PdqIndex();

        // Act
        index.Add(1, hash);

        // Assert
        Assert.That(index.Search(hash, 0).Single(), Is.EqualTo(new IndexMatch(1, 0, 0)));
    }
}
