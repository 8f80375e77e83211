using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace HashForum.Imaging.Internal.Jpeg;

/// <summary>
/// The floating-point AAN (Arai-Agui-Nakajima) inverse DCT of the IJG's libjpeg (<c>jidctflt.c</c>).
/// ImageMagick, the PDQ reference's decoder, asks libjpeg for this one (<c>JDCT_FLOAT</c>), so the
/// samples come out as the reference sees them. Our own code, from the published algorithm.
/// </summary>
internal static class JpegFloatIdct
{
    /// <summary>Bits of a natural index (row * 8 + column) set only outside the top-left 4x4: row or column 4..7.</summary>
    public const int Outside4x4 = 0b100_100;

    // A mask that takes the full transform.
    private const int FullMask = 63;
    /// <summary>AAN scale factors: 1 for k = 0, cos(k pi / 16) * sqrt(2) otherwise (jddctmgr.c).</summary>
    private static ReadOnlySpan<double> ScaleFactors =>
    [
        1.0, 1.387039845, 1.306562965, 1.175875602, 1.0, 0.785694958, 0.541196100, 0.275899379,
    ];

    /// <summary>
    /// The dequantisation multipliers of a quantisation table (natural order): the AAN scales and
    /// the final division by 8 folded in, as libjpeg folds them.
    /// </summary>
    public static void Multipliers(ReadOnlySpan<int> quant, Span<float> multipliers)
    {
        for (var i = 0; i < 64; i++)
        {
            multipliers[i] = (float)(quant[i] * ScaleFactors[i >> 3] * ScaleFactors[i & 7] * 0.125);
        }
    }

    /// <summary>
    /// Transforms 64 quantised coefficients (natural order) into 8x8 samples, level-shifted by 128,
    /// rounded to the nearest integer and clamped to 0..255, row-major into <paramref name="samples"/>.
    /// </summary>
    public static void Transform(ReadOnlySpan<int> coefficients, ReadOnlySpan<float> multipliers, Span<int> samples) =>
        Transform(coefficients, FullMask, multipliers, samples);

    /// <summary>
    /// As <see cref="Transform(ReadOnlySpan{int}, ReadOnlySpan{float}, Span{int})"/>, for a block whose
    /// nonzero AC coefficients have natural indices whose bitwise OR is <paramref name="mask"/>
    /// (what the Huffman decoder returns): a block within the top-left 4x4 takes a shorter path.
    /// </summary>
    public static void Transform(ReadOnlySpan<int> coefficients, int mask, ReadOnlySpan<float> multipliers, Span<int> samples)
    {
        // The slices prove the lengths the unchecked loads and stores below rely on.
        coefficients = coefficients[..64];
        multipliers = multipliers[..64];
        samples = samples[..64];
        if (Avx2.IsSupported)
        {
            Rows(coefficients, mask, multipliers, out var v0, out var v1, out var v2, out var v3, out var v4, out var v5, out var v6, out var v7);
            ref var s = ref MemoryMarshal.GetReference(samples);
            Output(v0).StoreUnsafe(ref s);
            Output(v1).StoreUnsafe(ref s, 8);
            Output(v2).StoreUnsafe(ref s, 16);
            Output(v3).StoreUnsafe(ref s, 24);
            Output(v4).StoreUnsafe(ref s, 32);
            Output(v5).StoreUnsafe(ref s, 40);
            Output(v6).StoreUnsafe(ref s, 48);
            Output(v7).StoreUnsafe(ref s, 56);
        }
        else
        {
            TransformPortable(coefficients, multipliers, samples);
        }
    }

    /// <summary>
    /// Transforms a block into 8 rows of 8 samples of <paramref name="output"/>,
    /// <paramref name="stride"/> apart (a 16-bit chroma plane); <paramref name="mask"/> as for
    /// <see cref="Transform(ReadOnlySpan{int}, int, ReadOnlySpan{float}, Span{int})"/>.
    /// </summary>
    public static void Transform(ReadOnlySpan<int> coefficients, int mask, ReadOnlySpan<float> multipliers, Span<short> output, int stride)
    {
        // The slice proves the eight rows of eight that the unchecked stores below write.
        output = output[..((7 * stride) + 8)];
        if (!Avx2.IsSupported)
        {
            Span<int> samples = stackalloc int[64];
            Transform(coefficients, multipliers, samples);
            for (var row = 0; row < 8; row++)
            {
                var destination = output.Slice(row * stride, 8);
                for (var x = 0; x < 8; x++)
                {
                    destination[x] = (short)samples[(row * 8) + x];
                }
            }

            return;
        }

        Rows(coefficients[..64], mask, multipliers[..64], out var v0, out var v1, out var v2, out var v3, out var v4, out var v5, out var v6, out var v7);
        ref var target = ref MemoryMarshal.GetReference(output);
        var offset = (nuint)stride;
        var rows01 = OutputShorts(v0, v1);
        var rows23 = OutputShorts(v2, v3);
        var rows45 = OutputShorts(v4, v5);
        var rows67 = OutputShorts(v6, v7);
        rows01.GetLower().StoreUnsafe(ref target);
        rows01.GetUpper().StoreUnsafe(ref target, offset);
        rows23.GetLower().StoreUnsafe(ref target, 2 * offset);
        rows23.GetUpper().StoreUnsafe(ref target, 3 * offset);
        rows45.GetLower().StoreUnsafe(ref target, 4 * offset);
        rows45.GetUpper().StoreUnsafe(ref target, 5 * offset);
        rows67.GetLower().StoreUnsafe(ref target, 6 * offset);
        rows67.GetUpper().StoreUnsafe(ref target, 7 * offset);
    }

    /// <summary>
    /// Transforms a block that lies wholly inside the image straight into the luminance buffer:
    /// the samples as floats (whole numbers), rows <paramref name="stride"/> apart;
    /// <paramref name="mask"/> as for <see cref="Transform(ReadOnlySpan{int}, int, ReadOnlySpan{float}, Span{int})"/>
    /// (0: only the DC term).
    /// </summary>
    public static void TransformToLuma(ReadOnlySpan<int> coefficients, int mask, ReadOnlySpan<float> multipliers, Span<float> output, int stride)
    {
        // The slice proves the eight rows of eight that the unchecked stores below write.
        output = output[..((7 * stride) + 8)];
        ref var target = ref MemoryMarshal.GetReference(output);
        var offset = (nuint)stride;
        if (mask == 0)
        {
            // A lone DC term: one value for the whole block, eight stores (smooth photos have many).
            var flat = Vector256.Create((float)Flat(coefficients[0], multipliers[0]));
            for (nuint row = 0; row < 8; row++)
            {
                flat.StoreUnsafe(ref target, row * offset);
            }

            return;
        }

        if (!Avx2.IsSupported)
        {
            Span<int> samples = stackalloc int[64];
            TransformPortable(coefficients[..64], multipliers[..64], samples);

            for (var row = 0; row < 8; row++)
            {
                var destination = output.Slice(row * stride, 8);
                for (var x = 0; x < 8; x++)
                {
                    destination[x] = samples[(row * 8) + x];
                }
            }

            return;
        }

        Rows(coefficients[..64], mask, multipliers[..64], out var v0, out var v1, out var v2, out var v3, out var v4, out var v5, out var v6, out var v7);
        OutputFloat(v0).StoreUnsafe(ref target);
        OutputFloat(v1).StoreUnsafe(ref target, offset);
        OutputFloat(v2).StoreUnsafe(ref target, 2 * offset);
        OutputFloat(v3).StoreUnsafe(ref target, 3 * offset);
        OutputFloat(v4).StoreUnsafe(ref target, 4 * offset);
        OutputFloat(v5).StoreUnsafe(ref target, 5 * offset);
        OutputFloat(v6).StoreUnsafe(ref target, 6 * offset);
        OutputFloat(v7).StoreUnsafe(ref target, 7 * offset);
    }

    /// <summary>The sample of every pixel of a block with only a DC term (what the transform gives).</summary>
    public static int Flat(int dc, float multiplier) => Sample(dc * multiplier);

    /// <summary>
    /// One output of the transform as a sample: rounded to nearest even (as MathF.Round does),
    /// level-shifted by 128 and clamped to 0..255. The clamp is done in floats, so that a hostile
    /// block whose output passes the range of int (a huge DC sum) clamps like any other, and every
    /// path (int, 16-bit and float output, vector and portable) gives the same samples.
    /// </summary>
    internal static int Sample(float value) => (int)MathF.Round(Math.Clamp(value, -128f, 127f)) + 128;

    /// <summary>
    /// Both passes of the transform, AVX2: the eight rows of the result, before rounding. A block
    /// whose coefficients lie in the top-left 4x4 (no bit 2 or 5 in <paramref name="mask"/>, most
    /// blocks of a photo) takes <see cref="Rows4x4"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Rows(
        ReadOnlySpan<int> coefficients, int mask, ReadOnlySpan<float> multipliers,
        out Vector256<float> v0, out Vector256<float> v1, out Vector256<float> v2, out Vector256<float> v3,
        out Vector256<float> v4, out Vector256<float> v5, out Vector256<float> v6, out Vector256<float> v7)
    {
        ref var c = ref MemoryMarshal.GetReference(coefficients);
        ref var m = ref MemoryMarshal.GetReference(multipliers);
        if ((mask & Outside4x4) == 0)
        {
            Rows4x4(ref c, ref m, out v0, out v1, out v2, out v3, out v4, out v5, out v6, out v7);
            return;
        }

        v0 = Vector256.ConvertToSingle(Vector256.LoadUnsafe(ref c)) * Vector256.LoadUnsafe(ref m);
        v1 = Vector256.ConvertToSingle(Vector256.LoadUnsafe(ref c, 8)) * Vector256.LoadUnsafe(ref m, 8);
        v2 = Vector256.ConvertToSingle(Vector256.LoadUnsafe(ref c, 16)) * Vector256.LoadUnsafe(ref m, 16);
        v3 = Vector256.ConvertToSingle(Vector256.LoadUnsafe(ref c, 24)) * Vector256.LoadUnsafe(ref m, 24);
        v4 = Vector256.ConvertToSingle(Vector256.LoadUnsafe(ref c, 32)) * Vector256.LoadUnsafe(ref m, 32);
        v5 = Vector256.ConvertToSingle(Vector256.LoadUnsafe(ref c, 40)) * Vector256.LoadUnsafe(ref m, 40);
        v6 = Vector256.ConvertToSingle(Vector256.LoadUnsafe(ref c, 48)) * Vector256.LoadUnsafe(ref m, 48);
        v7 = Vector256.ConvertToSingle(Vector256.LoadUnsafe(ref c, 56)) * Vector256.LoadUnsafe(ref m, 56);
        Butterfly(ref v0, ref v1, ref v2, ref v3, ref v4, ref v5, ref v6, ref v7);
        Transpose(ref v0, ref v1, ref v2, ref v3, ref v4, ref v5, ref v6, ref v7);
        Butterfly(ref v0, ref v1, ref v2, ref v3, ref v4, ref v5, ref v6, ref v7);
        Transpose(ref v0, ref v1, ref v2, ref v3, ref v4, ref v5, ref v6, ref v7);
    }

    /// <summary>
    /// <see cref="Rows"/> for a block whose coefficients outside the top-left 4x4 are zero: pass 1
    /// on four columns (128-bit vectors) and both passes with their zero inputs left out.
    /// </summary>
    /// <remarks>
    /// Exact: leaving out a zero term (x + 0, x - 0, 0 - x as -x) changes at most the sign of a
    /// zero, and a zero's sign never changes a nonzero sum or product, nor the rounded sample.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Rows4x4(
        ref int c, ref float m,
        out Vector256<float> v0, out Vector256<float> v1, out Vector256<float> v2, out Vector256<float> v3,
        out Vector256<float> v4, out Vector256<float> v5, out Vector256<float> v6, out Vector256<float> v7)
    {
        // Pass 1: rows 0..3 in, columns 0..3 only (the others stay zero through it).
        var r0 = Vector128.ConvertToSingle(Vector128.LoadUnsafe(ref c)) * Vector128.LoadUnsafe(ref m);
        var r1 = Vector128.ConvertToSingle(Vector128.LoadUnsafe(ref c, 8)) * Vector128.LoadUnsafe(ref m, 8);
        var r2 = Vector128.ConvertToSingle(Vector128.LoadUnsafe(ref c, 16)) * Vector128.LoadUnsafe(ref m, 16);
        var r3 = Vector128.ConvertToSingle(Vector128.LoadUnsafe(ref c, 24)) * Vector128.LoadUnsafe(ref m, 24);
        ButterflyOfFour(r0, r1, r2, r3, out var o0, out var o1, out var o2, out var o3, out var o4, out var o5, out var o6, out var o7);

        // Columns 0..3 of the eight rows, as vectors down the rows (two 4x4 transposes side by side).
        Transpose4x4(ref o0, ref o1, ref o2, ref o3);
        Transpose4x4(ref o4, ref o5, ref o6, ref o7);
        ButterflyOfFour(
            Vector256.Create(o0, o4), Vector256.Create(o1, o5), Vector256.Create(o2, o6), Vector256.Create(o3, o7),
            out v0, out v1, out v2, out v3, out v4, out v5, out v6, out v7);
        Transpose(ref v0, ref v1, ref v2, ref v3, ref v4, ref v5, ref v6, ref v7);
    }

    /// <summary>
    /// The AVX2 transform of a full block (what <see cref="Transform(ReadOnlySpan{int}, ReadOnlySpan{float}, Span{int})"/>
    /// runs with AVX2), for the tests that hold it to <see cref="TransformPortable"/>.
    /// </summary>
    internal static void TransformAvx2(ReadOnlySpan<int> coefficients, ReadOnlySpan<float> multipliers, Span<int> samples) =>
        Transform(coefficients, FullMask, multipliers, samples);

    /// <summary>
    /// Without AVX2: the same butterflies on <see cref="Vector256{T}"/> (which .NET runs in
    /// software where it must), with the transposes done through memory.
    /// </summary>
    internal static void TransformPortable(ReadOnlySpan<int> coefficients, ReadOnlySpan<float> multipliers, Span<int> samples)
    {
        Span<float> block = stackalloc float[64];
        for (var i = 0; i < 64; i++)
        {
            block[i] = coefficients[i] * multipliers[i];
        }

        for (var pass = 0; pass < 2; pass++)
        {
            var v0 = Vector256.Create(block[..8]);
            var v1 = Vector256.Create(block.Slice(8, 8));
            var v2 = Vector256.Create(block.Slice(16, 8));
            var v3 = Vector256.Create(block.Slice(24, 8));
            var v4 = Vector256.Create(block.Slice(32, 8));
            var v5 = Vector256.Create(block.Slice(40, 8));
            var v6 = Vector256.Create(block.Slice(48, 8));
            var v7 = Vector256.Create(block.Slice(56, 8));
            Butterfly(ref v0, ref v1, ref v2, ref v3, ref v4, ref v5, ref v6, ref v7);
            Span<Vector256<float>> rows = [v0, v1, v2, v3, v4, v5, v6, v7];
            for (var row = 0; row < 8; row++)
            {
                for (var column = 0; column < 8; column++)
                {
                    block[(column * 8) + row] = rows[row][column];
                }
            }
        }

        for (var i = 0; i < 64; i++)
        {
            samples[i] = Sample(block[i]);
        }
    }

    /// <summary>As <see cref="Output"/>, kept in floats: the same whole numbers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> OutputFloat(Vector256<float> row)
    {
        // maxps/minps directly: the values are never NaN, so the IEEE care of Vector256.Max is not needed.
        var rounded = Avx.RoundToNearestInteger(row) + Vector256.Create(128f);
        return Avx.Min(Avx.Max(rounded, Vector256<float>.Zero), Vector256.Create(255f));
    }

    /// <summary>
    /// Two rows through <see cref="Output"/> without the level shift, narrowed to 16 bits and shifted
    /// there: the first row in the lower half, the second in the upper. The values are -128..127,
    /// so the saturating pack is exact; it interleaves the rows' 128-bit lanes, and one vpermq
    /// puts them back.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> OutputShorts(Vector256<float> first, Vector256<float> second)
    {
        var packed = Avx2.PackSignedSaturate(Centred(first), Centred(second));
        return Avx2.Permute4x64(packed.AsInt64(), 0b11_01_10_00).AsInt16() + Vector256.Create((short)128);
    }

    /// <summary><see cref="Sample"/> on eight values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Output(Vector256<float> row) => Centred(row) + Vector256.Create(128);

    /// <summary>
    /// <see cref="Sample"/> on eight values, before the level shift: clamped to -128..127 in floats
    /// first (which commutes with rounding, the bounds being whole), so the conversion cannot
    /// overflow and the plain cvttps2dq is exact on the rounded values; Vector256.ConvertToInt32
    /// would add the compares and blend of its saturating rule to every row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Centred(Vector256<float> row)
    {
        // maxps/minps directly: the values are never NaN (products and sums of finite floats
        // within range), so the IEEE care of Vector256.Max is not needed.
        var clamped = Avx.Min(Avx.Max(row, Vector256.Create(-128f)), Vector256.Create(127f));
        return Avx.ConvertToVector256Int32WithTruncation(Avx.RoundToNearestInteger(clamped));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Butterfly(
        ref Vector256<float> v0, ref Vector256<float> v1, ref Vector256<float> v2, ref Vector256<float> v3,
        ref Vector256<float> v4, ref Vector256<float> v5, ref Vector256<float> v6, ref Vector256<float> v7)
    {
        // Even part.
        var tmp10 = v0 + v4;
        var tmp11 = v0 - v4;
        var tmp13 = v2 + v6;
        var tmp12 = ((v2 - v6) * 1.414213562f) - tmp13;
        var tmp0 = tmp10 + tmp13;
        var tmp3 = tmp10 - tmp13;
        var tmp1 = tmp11 + tmp12;
        var tmp2 = tmp11 - tmp12;

        // Odd part.
        var z13 = v5 + v3;
        var z10 = v5 - v3;
        var z11 = v1 + v7;
        var z12 = v1 - v7;
        var tmp7 = z11 + z13;
        tmp11 = (z11 - z13) * 1.414213562f;
        var z5 = (z10 + z12) * 1.847759065f;
        tmp10 = (z12 * 1.082392200f) - z5;
        tmp12 = (z10 * -2.613125930f) + z5;
        var tmp6 = tmp12 - tmp7;
        var tmp5 = tmp11 - tmp6;
        var tmp4 = tmp10 + tmp5;

        v0 = tmp0 + tmp7;
        v7 = tmp0 - tmp7;
        v1 = tmp1 + tmp6;
        v6 = tmp1 - tmp6;
        v2 = tmp2 + tmp5;
        v5 = tmp2 - tmp5;
        v4 = tmp3 + tmp4;
        v3 = tmp3 - tmp4;
    }

    /// <summary><see cref="Butterfly"/> with inputs 4..7 zero, written out without them (128-bit).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ButterflyOfFour(
        Vector128<float> v0, Vector128<float> v1, Vector128<float> v2, Vector128<float> v3,
        out Vector128<float> o0, out Vector128<float> o1, out Vector128<float> o2, out Vector128<float> o3,
        out Vector128<float> o4, out Vector128<float> o5, out Vector128<float> o6, out Vector128<float> o7)
    {
        // Even part: tmp10 = tmp11 = v0, tmp13 = v2.
        var tmp12 = (v2 * 1.414213562f) - v2;
        var tmp0 = v0 + v2;
        var tmp3 = v0 - v2;
        var tmp1 = v0 + tmp12;
        var tmp2 = v0 - tmp12;

        // Odd part: z13 = v3, z10 = -v3, z11 = z12 = v1 (so z10 + z12 = v1 - v3, z10 * -c = v3 * c).
        var difference = v1 - v3;
        var tmp7 = v1 + v3;
        var tmp11 = difference * 1.414213562f;
        var z5 = difference * 1.847759065f;
        var tmp10 = (v1 * 1.082392200f) - z5;
        tmp12 = (v3 * 2.613125930f) + z5;
        var tmp6 = tmp12 - tmp7;
        var tmp5 = tmp11 - tmp6;
        var tmp4 = tmp10 + tmp5;

        o0 = tmp0 + tmp7;
        o7 = tmp0 - tmp7;
        o1 = tmp1 + tmp6;
        o6 = tmp1 - tmp6;
        o2 = tmp2 + tmp5;
        o5 = tmp2 - tmp5;
        o4 = tmp3 + tmp4;
        o3 = tmp3 - tmp4;
    }

    /// <summary><see cref="Butterfly"/> with inputs 4..7 zero, written out without them (256-bit).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ButterflyOfFour(
        Vector256<float> v0, Vector256<float> v1, Vector256<float> v2, Vector256<float> v3,
        out Vector256<float> o0, out Vector256<float> o1, out Vector256<float> o2, out Vector256<float> o3,
        out Vector256<float> o4, out Vector256<float> o5, out Vector256<float> o6, out Vector256<float> o7)
    {
        // The same operations as the 128-bit twin above (kept apart: .NET has no public
        // interface over both vector widths).
        var tmp12 = (v2 * 1.414213562f) - v2;
        var tmp0 = v0 + v2;
        var tmp3 = v0 - v2;
        var tmp1 = v0 + tmp12;
        var tmp2 = v0 - tmp12;

        var difference = v1 - v3;
        var tmp7 = v1 + v3;
        var tmp11 = difference * 1.414213562f;
        var z5 = difference * 1.847759065f;
        var tmp10 = (v1 * 1.082392200f) - z5;
        tmp12 = (v3 * 2.613125930f) + z5;
        var tmp6 = tmp12 - tmp7;
        var tmp5 = tmp11 - tmp6;
        var tmp4 = tmp10 + tmp5;

        o0 = tmp0 + tmp7;
        o7 = tmp0 - tmp7;
        o1 = tmp1 + tmp6;
        o6 = tmp1 - tmp6;
        o2 = tmp2 + tmp5;
        o5 = tmp2 - tmp5;
        o4 = tmp3 + tmp4;
        o3 = tmp3 - tmp4;
    }

    /// <summary>Transposes the 4x4 matrix whose rows are the four vectors (SSE's _MM_TRANSPOSE4_PS).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4x4(ref Vector128<float> v0, ref Vector128<float> v1, ref Vector128<float> v2, ref Vector128<float> v3)
    {
        var t0 = Sse.UnpackLow(v0, v1);
        var t1 = Sse.UnpackLow(v2, v3);
        var t2 = Sse.UnpackHigh(v0, v1);
        var t3 = Sse.UnpackHigh(v2, v3);
        v0 = Sse.MoveLowToHigh(t0, t1);
        v1 = Sse.MoveHighToLow(t1, t0);
        v2 = Sse.MoveLowToHigh(t2, t3);
        v3 = Sse.MoveHighToLow(t3, t2);
    }

    /// <summary>Transposes the 8x8 matrix whose rows are the eight vectors (AVX2 unpacks and lane permutes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose(
        ref Vector256<float> v0, ref Vector256<float> v1, ref Vector256<float> v2, ref Vector256<float> v3,
        ref Vector256<float> v4, ref Vector256<float> v5, ref Vector256<float> v6, ref Vector256<float> v7)
    {
        var t0 = Avx.UnpackLow(v0, v1).AsDouble();
        var t1 = Avx.UnpackHigh(v0, v1).AsDouble();
        var t2 = Avx.UnpackLow(v2, v3).AsDouble();
        var t3 = Avx.UnpackHigh(v2, v3).AsDouble();
        var t4 = Avx.UnpackLow(v4, v5).AsDouble();
        var t5 = Avx.UnpackHigh(v4, v5).AsDouble();
        var t6 = Avx.UnpackLow(v6, v7).AsDouble();
        var t7 = Avx.UnpackHigh(v6, v7).AsDouble();
        var u0 = Avx.UnpackLow(t0, t2).AsSingle();
        var u1 = Avx.UnpackHigh(t0, t2).AsSingle();
        var u2 = Avx.UnpackLow(t1, t3).AsSingle();
        var u3 = Avx.UnpackHigh(t1, t3).AsSingle();
        var u4 = Avx.UnpackLow(t4, t6).AsSingle();
        var u5 = Avx.UnpackHigh(t4, t6).AsSingle();
        var u6 = Avx.UnpackLow(t5, t7).AsSingle();
        var u7 = Avx.UnpackHigh(t5, t7).AsSingle();
        v0 = Lower(u0, u4);
        v4 = Upper(u0, u4);
        v1 = Lower(u1, u5);
        v5 = Upper(u1, u5);
        v2 = Lower(u2, u6);
        v6 = Upper(u2, u6);
        v3 = Lower(u3, u7);
        v7 = Upper(u3, u7);
    }

    /// <summary>
    /// The lower 128-bit halves of <paramref name="a"/> and <paramref name="b"/> (vperm2f128 0x20),
    /// as one vinsertf128: Zen 1 splits vperm2f128 into 8 micro-ops, vinsertf128 into 2.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Lower(Vector256<float> a, Vector256<float> b) => Avx.InsertVector128(a, b.GetLower(), 1);

    /// <summary>The upper halves (vperm2f128 0x31), as vextractf128 and vinsertf128, for the same reason.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Upper(Vector256<float> a, Vector256<float> b) => Avx.InsertVector128(b, Avx.ExtractVector128(a, 1), 0);
}
