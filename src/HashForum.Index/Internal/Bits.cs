using System.Numerics;
using System.Runtime.CompilerServices;

namespace HashForum.Index.Internal;

/// <summary>Bit-field helpers over a hash held as four little-endian 64-bit limbs.</summary>
internal static class Bits
{
    /// <summary>
    /// The <paramref name="width"/>-bit field starting at bit <paramref name="offset"/> (width 1..32).
    /// A field may straddle two limbs because chunk widths such as 23 do not divide 64.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Field(ulong l0, ulong l1, ulong l2, ulong l3, int offset, int width)
    {
        var limb = offset >> 6;
        var shift = offset & 63;
        var lo = Limb(l0, l1, l2, l3, limb) >> shift;
        if (shift + width > 64)
        {
            lo |= Limb(l0, l1, l2, l3, limb + 1) << (64 - shift);
        }

        return (uint)(lo & ((1UL << width) - 1));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Limb(ulong l0, ulong l1, ulong l2, ulong l3, int limb) => limb switch
    {
        0 => l0,
        1 => l1,
        2 => l2,
        _ => l3,
    };

    /// <summary>Number of masks of <paramref name="bits"/> bits with at most <paramref name="maxOnes"/> ones: sum of C(bits, k).</summary>
    public static double BallSize(int bits, int maxOnes)
    {
        double total = 0, term = 1;
        for (var k = 0; k <= maxOnes && k <= bits; k++)
        {
            total += term;
            term = term * (bits - k) / (k + 1);
        }

        return total;
    }

    /// <summary>
    /// Next larger integer with the same number of one bits (Gosper's hack); needs value != 0. The
    /// division by the lowest set bit is a shift, which keeps an integer divide out of the probe loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint NextSamePopCount(uint value)
    {
        var ripple = value + (value & (0u - value));
        return ripple | (((value ^ ripple) >> 2) >> BitOperations.TrailingZeroCount(value));
    }

    /// <summary>Bits needed to number <paramref name="count"/> things (at least 1).</summary>
    public static int BitsFor(int count) => count <= 2 ? 1 : 32 - BitOperations.LeadingZeroCount((uint)(count - 1));
}
