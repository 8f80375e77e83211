using System.Numerics;
using HashForum.Hashing.Pdq;

namespace HashForum.Index;

/// <summary>
/// Synthetic hashes for tests and benchmarks. Real PDQ hashes threshold each DCT coefficient at the
/// median, so they have exactly 128 one bits; near-duplicates of one image differ in a few bits.
/// </summary>
public static class SyntheticHashes
{
    /// <summary>256 independent random bits.</summary>
    public static Hash256 Uniform(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return new Hash256(Next64(random), Next64(random), Next64(random), Next64(random));
    }

    /// <summary>A random hash with exactly 128 one bits, like a real PDQ hash.</summary>
    public static Hash256 Realistic(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        Span<ulong> limbs = [Next64(random), Next64(random), Next64(random), Next64(random)];

        // Start from uniform bits (about 128 ones) and correct the count with random single flips.
        var ones = BitOperations.PopCount(limbs[0]) + BitOperations.PopCount(limbs[1]) +
                   BitOperations.PopCount(limbs[2]) + BitOperations.PopCount(limbs[3]);
        while (ones != 128)
        {
            var bit = random.Next(256);
            var mask = 1UL << (bit & 63);
            var isOne = (limbs[bit >> 6] & mask) != 0;
            if (isOne == ones > 128)
            {
                limbs[bit >> 6] ^= mask;
                ones += isOne ? -1 : 1;
            }
        }

        return new Hash256(limbs[0], limbs[1], limbs[2], limbs[3]);
    }

    /// <summary>A copy of <paramref name="hash"/> with exactly <paramref name="count"/> distinct random bits flipped.</summary>
    public static Hash256 FlipBits(Hash256 hash, int count, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Hash256.Bits);
        Span<ulong> flips = stackalloc ulong[4];
        for (var flipped = 0; flipped < count;)
        {
            var bit = random.Next(256);
            var mask = 1UL << (bit & 63);
            if ((flips[bit >> 6] & mask) == 0)
            {
                flips[bit >> 6] |= mask;
                flipped++;
            }
        }

        return new Hash256(hash[0] ^ flips[0], hash[1] ^ flips[1], hash[2] ^ flips[2], hash[3] ^ flips[3]);
    }

    private static ulong Next64(Random random) => ((ulong)(uint)random.Next() << 34) ^ ((ulong)(uint)random.Next() << 17) ^ (uint)random.Next();
}
