using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using HashForum.Hashing.Pdq;

namespace HashForum.Index.Internal;

/// <summary>
/// Vectorised linear scan: the path for radii of 64 and more, for small segments, and the oracle the
/// multi-index is tested against.
/// </summary>
/// <remarks>
/// With AVX2 (no AVX-512 VPOPCNTQ on the target machines) four hashes are taken per step: XOR with
/// the query, byte popcounts by nibble table lookup (Mula's method), per-limb sums with VPSADBW, and a
/// transpose-and-add that leaves the four distances in one vector to compare with the radius. The scan
/// is memory bound (32 bytes a hash), so this mainly keeps the core out of the way of the loads.
/// </remarks>
internal static class LinearScan
{
    /// <summary>
    /// Scans <paramref name="hashes"/> from <paramref name="start"/> and writes the index of each hash
    /// within <paramref name="radius"/> of the query into <paramref name="found"/> until it is nearly
    /// full. Returns how many were written; <paramref name="next"/> is where to resume.
    /// </summary>
    public static int Find(ReadOnlySpan<Hash256> hashes, int start, in Hash256 query, int radius, Span<int> found, out int next)
    {
        var count = 0;
        var i = start;
        if (Avx2.IsSupported && found.Length >= 4)
        {
            ref var limbs = ref Unsafe.As<Hash256, ulong>(ref MemoryMarshal.GetReference(hashes));
            var q = Vector256.Create(query[0], query[1], query[2], query[3]);
            var table = Vector256.Create((byte)0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
            var limit = Vector256.Create((long)radius);
            for (; i + 4 <= hashes.Length && count + 4 <= found.Length; i += 4)
            {
                var at = (nuint)i * 4;
                var s0 = LimbCounts(Vector256.LoadUnsafe(ref limbs, at) ^ q, table);
                var s1 = LimbCounts(Vector256.LoadUnsafe(ref limbs, at + 4) ^ q, table);
                var s2 = LimbCounts(Vector256.LoadUnsafe(ref limbs, at + 8) ^ q, table);
                var s3 = LimbCounts(Vector256.LoadUnsafe(ref limbs, at + 12) ^ q, table);
                var u = Avx2.UnpackLow(s0, s1) + Avx2.UnpackHigh(s0, s1);
                var v = Avx2.UnpackLow(s2, s3) + Avx2.UnpackHigh(s2, s3);
                var distances = Avx2.Permute2x128(u, v, 0x20) + Avx2.Permute2x128(u, v, 0x31);
                var over = Vector256.ExtractMostSignificantBits(Avx2.CompareGreaterThan(distances.AsInt64(), limit));
                var within = ~over & 0xFu;
                while (within != 0)
                {
                    found[count++] = i + BitOperations.TrailingZeroCount(within);
                    within &= within - 1;
                }
            }
        }

        for (; i < hashes.Length && count < found.Length; i++)
        {
            if (Hash256.Distance(hashes[i], query) <= radius)
            {
                found[count++] = i;
            }
        }

        next = i;
        return count;
    }

    /// <summary>Popcount of each 64-bit lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> LimbCounts(Vector256<ulong> x, Vector256<byte> table)
    {
        var bytes = x.AsByte();
        var nibbleMask = Vector256.Create((byte)0x0F);
        var low = bytes & nibbleMask;
        var high = Vector256.ShiftRightLogical(x.AsUInt16(), 4).AsByte() & nibbleMask;
        var counts = Avx2.Shuffle(table, low) + Avx2.Shuffle(table, high);
        return Avx2.SumAbsoluteDifferences(counts, Vector256<byte>.Zero).AsUInt64();
    }
}
