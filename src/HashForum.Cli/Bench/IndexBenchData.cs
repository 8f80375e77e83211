using HashForum.Hashing.Pdq;
using HashForum.Index;

namespace HashForum.Cli.Bench;

/// <summary>The data of <c>hashforum bench index</c>.</summary>
internal static class IndexBenchData
{
    /// <summary>
    /// <paramref name="count"/> realistic hashes (128 one bits); 1% of them are planted near-duplicates
    /// of earlier ones at a random distance 1..radius (so some clusters grow), ids 0..count-1.
    /// </summary>
    public static (long[] Ids, Hash256[] Hashes) Stored(int count, int radius, Random random)
    {
        var ids = new long[count];
        var hashes = new Hash256[count];
        for (var i = 0; i < count; i++)
        {
            ids[i] = i;
            hashes[i] = i > 0 && random.Next(100) == 0
                ? SyntheticHashes.FlipBits(hashes[random.Next(i)], 1 + random.Next(Math.Max(1, Math.Min(radius, 256))), random)
                : SyntheticHashes.Realistic(random);
        }

        return (ids, hashes);
    }

    /// <summary>
    /// <paramref name="queries"/> groups of <paramref name="perQuery"/> hashes. Half the groups start near a
    /// stored hash (0..radius bits flipped), half are fresh; the other hashes of a group stand in for the
    /// dihedral variants of the same image (fresh realistic hashes).
    /// </summary>
    public static Hash256[] Queries(Hash256[] stored, int queries, int radius, int perQuery, Random random)
    {
        var result = new Hash256[queries * perQuery];
        for (var q = 0; q < queries; q++)
        {
            result[q * perQuery] = q % 2 == 0
                ? SyntheticHashes.FlipBits(stored[random.Next(stored.Length)], random.Next(Math.Min(radius, 256) + 1), random)
                : SyntheticHashes.Realistic(random);
            for (var v = 1; v < perQuery; v++)
            {
                result[(q * perQuery) + v] = SyntheticHashes.Realistic(random);
            }
        }

        return result;
    }
}
