using HashForum.Hashing.Pdq;
using HashForum.Index.Internal;

namespace HashForum.Index.Tests;

/// <summary>Property tests: every search path gives exactly the oracle's answer.</summary>
[TestFixture]
public sealed class PdqIndexSearchTests
{
    private static readonly int[] Radii = [0, 1, 15, 16, 31, 32, 47, 63, 64, 100, 256];

    public enum Data
    {
        Uniform,
        Realistic,
        Clustered,
    }

    [Test]
    public void Search_AnyDataChunkingAndRadius_MatchesOracle(
        [Values] Data data,
        [Values(11, 13, 16)] int chunks)
    {
        // Arrange
        var random = new Random((int)data * 100 + chunks);
        var stored = data switch
        {
            Data.Uniform => TestData.Uniform(20_000, random),
            Data.Realistic => TestData.Realistic(20_000, random),
            _ => TestData.Clustered(20_000, random),
        };
        var index = WithChunks(chunks, () => TestData.Build(stored));
        var results = new List<IndexMatch>();

        foreach (var radius in Radii)
        {
            foreach (var query in TestData.Queries(stored, 16, radius, random))
            {
                var expected = Oracle.Search(stored, query, radius);
                foreach (var mode in new[] { SearchMode.Auto, SearchMode.Index, SearchMode.Scan })
                {
                    // Act
                    index.Search(query, radius, results, mode);

                    // Assert
                    Same.Rows(results, expected, $"radius {radius}, mode {mode}, query {query}");
                }
            }
        }
    }

    [Test]
    public void Search_RunMarksOfEveryWidth_MatchesOracle([Values(0, 1, 2)] int markBits, [Values] Data data)
    {
        // Arrange: segments over 2^24 values keep narrower run marks (fewer spare offset bits); the
        // limit forces those widths here, where the offsets would leave room for the widest.
        var random = new Random(markBits * 10 + (int)data);
        var stored = data == Data.Clustered ? TestData.Clustered(20_000, random) : TestData.Realistic(20_000, random);
        PdqIndex index;
        Segment.MarkBitsLimit = markBits;
        try
        {
            index = WithChunks(11, () => TestData.Build(stored));
        }
        finally
        {
            Segment.MarkBitsLimit = null;
        }

        var results = new List<IndexMatch>();
        foreach (var radius in new[] { 0, 1, 16, 31, 47, 63 })
        {
            foreach (var query in TestData.Queries(stored, 16, radius, random))
            {
                // Act
                index.Search(query, radius, results, SearchMode.Index);

                // Assert
                Same.Rows(results, Oracle.Search(stored, query, radius), $"marks {markBits}, radius {radius}, query {query}");
            }
        }
    }

    [TestCase(11)]
    [TestCase(16)]
    public void Search_PlantedAtRadiusAndOneBeyond_FindsOnlyTheOneAtRadius(int chunks)
    {
        // Arrange: around each query, one hash at exactly r and one at r + 1, among realistic noise.
        var random = new Random(chunks);
        var stored = TestData.Realistic(20_000, random);
        var queries = new Dictionary<int, Hash256>();
        foreach (var radius in Radii.Where(r => r < 256))
        {
            var query = SyntheticHashes.Realistic(random);
            queries[radius] = query;
            stored[1_000_000 + radius] = SyntheticHashes.FlipBits(query, radius, random);
            stored[2_000_000 + radius] = SyntheticHashes.FlipBits(query, radius + 1, random);
        }

        var index = WithChunks(chunks, () => TestData.Build(stored));

        foreach (var (radius, query) in queries)
        {
            // Act
            var results = new List<IndexMatch>();
            index.Search(query, radius, results, SearchMode.Index);

            // Assert
            Assert.That(results.Select(m => m.Id), Does.Contain(1_000_000L + radius), $"radius {radius}");
            Assert.That(results.Select(m => m.Id), Does.Not.Contain(2_000_000L + radius), $"radius {radius}");
            Same.Rows(results, Oracle.Search(stored, query, radius), $"radius {radius}");
        }
    }

    [Test]
    public void Search_ManyIdsShareOneHash_ReturnsEveryIdAndStoresTheHashOnce()
    {
        // Arrange: 5000 distinct hashes plus 3000 more ids on 10 of them.
        var random = new Random(7);
        var stored = TestData.Realistic(5_000, random);
        var shared = stored.Values.Take(10).ToArray();
        for (var i = 0; i < 3_000; i++)
        {
            stored[10_000_000 + i] = shared[i % shared.Length];
        }

        // Act
        var index = TestData.Build(stored);
        var results = index.Search(shared[3], 31);

        // Assert
        Assert.That(results, Is.EqualTo(Oracle.Search(stored, shared[3], 31)));
        Assert.That(results.Count(m => m.Distance == 0), Is.EqualTo(301));
        Assert.That(index.ValueCount, Is.EqualTo(5_000));
    }

    [TestCase(0)]
    [TestCase(16)]
    [TestCase(31)]
    [TestCase(70)]
    public void SearchMany_DihedralLikeQueries_ReportsBestDistanceAndFirstQueryPerId(int radius)
    {
        // Arrange: 8 queries, some near the same stored hashes so ids are reached more than once.
        var random = new Random(radius);
        var stored = TestData.Clustered(30_000, random);
        var index = TestData.Build(stored);
        var results = new List<IndexMatch>();

        for (var round = 0; round < 10; round++)
        {
            var centre = stored.Values.ElementAt(random.Next(stored.Count));
            var queries = Enumerable.Range(0, 8)
                .Select(v => v % 2 == 0 ? SyntheticHashes.FlipBits(centre, random.Next(radius + 1), random) : SyntheticHashes.Realistic(random))
                .ToArray();

            // Act
            index.SearchMany(queries, radius, results);

            // Assert
            Same.Rows(results, Oracle.SearchMany(stored, queries, radius), $"round {round}");
            index.SearchManyLinear(queries, radius, results);
            Same.Rows(results, Oracle.SearchMany(stored, queries, radius), $"round {round}, linear");
        }
    }

    [Test]
    public void Search_RadiusOutOfRange_Throws()
    {
        // Arrange
        var index = new PdqIndex();

        // Act and Assert
        Assert.That(() => index.Search(Hash256.Zero, -1), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => index.Search(Hash256.Zero, 257), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void Search_EmptyIndex_ReturnsNothing()
    {
        // Arrange
        var index = new PdqIndex();

        // Act
        var results = index.Search(SyntheticHashes.Realistic(new Random(1)), 256);

        // Assert
        Assert.That(results, Is.Empty);
    }

    internal static PdqIndex WithChunks(int chunks, Func<PdqIndex> build)
    {
        Segment.ChunkCountOverride = _ => chunks;
        try
        {
            return build();
        }
        finally
        {
            Segment.ChunkCountOverride = null;
        }
    }
}
