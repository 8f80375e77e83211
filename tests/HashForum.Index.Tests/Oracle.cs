using HashForum.Hashing.Pdq;

namespace HashForum.Index.Tests;

/// <summary>The trivially simple oracle every search is checked against: a loop over Hash256.Distance.</summary>
internal static class Oracle
{
    public static List<IndexMatch> Search(IReadOnlyDictionary<long, Hash256> stored, Hash256 query, int radius)
    {
        var matches = new List<IndexMatch>();
        foreach (var (id, hash) in stored)
        {
            var distance = Hash256.Distance(hash, query);
            if (distance <= radius)
            {
                matches.Add(new IndexMatch(id, distance, 0));
            }
        }

        return [.. matches.OrderBy(m => m.Distance).ThenBy(m => m.Id)];
    }

    public static List<IndexMatch> SearchMany(IReadOnlyDictionary<long, Hash256> stored, Hash256[] queries, int radius)
    {
        var matches = new List<IndexMatch>();
        foreach (var (id, hash) in stored)
        {
            var best = new IndexMatch(id, int.MaxValue, -1);
            for (var q = 0; q < queries.Length; q++)
            {
                var distance = Hash256.Distance(hash, queries[q]);
                if (distance <= radius && distance < best.Distance)
                {
                    best = new IndexMatch(id, distance, q);
                }
            }

            if (best.QueryIndex >= 0)
            {
                matches.Add(best);
            }
        }

        return [.. matches.OrderBy(m => m.Distance).ThenBy(m => m.Id)];
    }
}

/// <summary>Result comparison that stays fast on answers of thousands of rows.</summary>
internal static class Same
{
    /// <summary>Asserts equal sequences; NUnit's own (slower, with a diff) runs only on a mismatch.</summary>
    public static void Rows(IEnumerable<IndexMatch> actual, IEnumerable<IndexMatch> expected, string message)
    {
        var a = actual.ToList();
        var e = expected.ToList();
        if (!a.SequenceEqual(e))
        {
            Assert.That(a, Is.EqualTo(e), message);
        }
    }
}

/// <summary>Data sets for the property tests; every one is seeded so a failure can be replayed.</summary>
internal static class TestData
{
    public static Dictionary<long, Hash256> Uniform(int count, Random random) =>
        Fill(count, random, r => SyntheticHashes.Uniform(r));

    public static Dictionary<long, Hash256> Realistic(int count, Random random) =>
        Fill(count, random, r => SyntheticHashes.Realistic(r));

    /// <summary>A few hundred centres, each with a heavy cluster of near-duplicates (1 to 20 bits away).</summary>
    public static Dictionary<long, Hash256> Clustered(int count, Random random)
    {
        var centres = new Hash256[Math.Max(1, count / 200)];
        for (var i = 0; i < centres.Length; i++)
        {
            centres[i] = SyntheticHashes.Realistic(random);
        }

        // Skewed cluster sizes: centre i is picked with weight 1/(i+1), so the first clusters are hot.
        return Fill(count, random, r =>
        {
            var centre = centres[(int)(centres.Length * Math.Pow(r.NextDouble(), 3))];
            return SyntheticHashes.FlipBits(centre, r.Next(0, 21), r);
        });
    }

    /// <summary>Queries: half near a stored hash (0..radius+2 bits away), half fresh realistic hashes.</summary>
    public static Hash256[] Queries(IReadOnlyDictionary<long, Hash256> stored, int count, int radius, Random random)
    {
        var values = stored.Values.ToArray();
        var queries = new Hash256[count];
        for (var i = 0; i < count; i++)
        {
            queries[i] = i % 2 == 0
                ? SyntheticHashes.FlipBits(values[random.Next(values.Length)], random.Next(Math.Min(radius + 3, 257)), random)
                : SyntheticHashes.Realistic(random);
        }

        return queries;
    }

    public static PdqIndex Build(IReadOnlyDictionary<long, Hash256> stored) =>
        PdqIndex.Build([.. stored.Keys], [.. stored.Values]);

    private static Dictionary<long, Hash256> Fill(int count, Random random, Func<Random, Hash256> next)
    {
        var stored = new Dictionary<long, Hash256>(count);
        while (stored.Count < count)
        {
            // Sparse, signed ids: the index must not assume they are dense.
            stored[random.NextInt64(-1L << 40, 1L << 40)] = next(random);
        }

        return stored;
    }
}
