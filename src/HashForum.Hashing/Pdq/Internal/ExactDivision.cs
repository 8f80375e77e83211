using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace HashForum.Hashing.Pdq.Internal;

/// <summary>
/// Float division by a whole number with the result of IEEE division to the bit, computed with fused
/// multiply-adds, which are several times cheaper than vector division on the CPUs we run on.
/// </summary>
/// <remarks>
/// Markstein's theorem (Handbook of Floating-Point Arithmetic, 2nd ed., theorem 4.10): if <c>y</c> is
/// the correctly rounded reciprocal of <c>b</c> and <c>q</c> is within one ulp of <c>a / b</c>, then
/// <c>r = a - b q</c> is exact when computed by one fused multiply-add, and <c>RN(q + r y)</c> is the
/// correctly rounded <c>a / b</c>. Here <c>y = 1f / n</c> (IEEE division, so correctly rounded) and
/// <c>q = RN(a y)</c>, which is within one ulp of <c>a / n</c>. Without FMA hardware it falls back to
/// plain division. The tests compare it with the division for every count up to 256.
/// </remarks>
internal static class ExactDivision
{
    /// <summary>Whether <see cref="Divide"/> uses fused multiply-adds (else it divides).</summary>
    public static bool Fused => Fma.IsSupported;

    /// <summary><c>values / n</c>, given <paramref name="divisor"/> = n and <paramref name="reciprocal"/> = 1f / n, broadcast.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Divide(Vector256<float> values, Vector256<float> divisor, Vector256<float> reciprocal)
    {
        if (!Fma.IsSupported)
        {
            return values / divisor;
        }

        var quotient = values * reciprocal;
        var remainder = Fma.MultiplyAddNegated(quotient, divisor, values);
        return Fma.MultiplyAdd(remainder, reciprocal, quotient);
    }
}
