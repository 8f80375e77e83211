using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using HashForum.Hashing.Pdq;

namespace HashForum.Imaging.Internal.Jpeg;

/// <summary>
/// Turns decoded Y (already in the luminance buffer) and chroma planes into BT.601 luminance of
/// the RGB pixels libjpeg would make: its "fancy" (triangle) upsampling of chroma, its integer
/// YCbCr to RGB conversion with clamping to 0..255, then <see cref="Luminance"/>'s weights.
/// </summary>
/// <remarks>
/// Y alone is the luminance only up to the rounding and clamping of R, G and B; on some photos
/// that rounding moves PDQ bits (the reference image q0122.jpg: 8 bits from the reference from Y
/// alone, within the bar with this pass), so the pass is not optional. Upsampling follows
/// libjpeg's jdsample.c (h2v1 and h2v2 fancy, h1v2 fancy as libjpeg-turbo has it, replication
/// for other whole ratios); conversion follows jdcolor.c (16-bit fixed point, round half up).
/// </remarks>
internal static class JpegColour
{
    private const int ScaleBits = 16;
    private const int OneHalf = 1 << (ScaleBits - 1);

    // FIX(x) = round(x * 2^16), libjpeg's constants of the YCbCr to RGB equations.
    private const int CrToR = (int)((1.40200 * (1 << ScaleBits)) + 0.5);
    private const int CbToB = (int)((1.77200 * (1 << ScaleBits)) + 0.5);
    private const int CrToG = (int)((0.71414 * (1 << ScaleBits)) + 0.5);
    private const int CbToG = (int)((0.34414 * (1 << ScaleBits)) + 0.5);

    /// <summary>The length of the work buffer <see cref="ToLuminance"/> needs, in shorts.</summary>
    public static int RowBufferLength(int width) => 2 * (RowLength(width) + SumLength(width));

    /// <summary>
    /// Weighs the rows from <see cref="JpegLumaDecoder.DecodeState.ConvertedRows"/> up to
    /// <paramref name="end"/> (exclusive), whose Y and chroma must be decoded.
    /// </summary>
    public static void ToLuminance(JpegLumaDecoder.DecodeState state, Span<float> luma, int end)
    {
        var frame = state.Frame;
        var width = frame.Width;
        var rowLength = RowLength(width);
        var sumLength = SumLength(width);
        var all = state.ColourRows!.Memory.Span;
        var cb = new Upsampler(frame, frame.Components[1], state.Planes[1]!.Memory.Span, state.PlaneStride[1], all[..rowLength], all.Slice(rowLength, sumLength));
        var cr = new Upsampler(frame, frame.Components[2], state.Planes[2]!.Memory.Span, state.PlaneStride[2], all.Slice(rowLength + sumLength, rowLength), all.Slice((2 * rowLength) + sumLength, sumLength));
        var fused = Avx2.IsSupported && cb.Horizontal2 && cb.SameSamplingAs(cr);
        for (var y = state.ConvertedRows; y < end; y++)
        {
            var row = luma.Slice(y * width, width);
            if (fused)
            {
                // h2v1 and h2v2: the horizontal step of the upsampling done in the conversion's
                // registers, without the round trip of two upsampled rows through memory.
                var done = ConvertRowFromSums(row, cb.Sums(y), cr.Sums(y), cb.Vertical2);
                if (done < width)
                {
                    ConvertRow(row[done..], cb.Horizontal(done)[..(width - done)], cr.Horizontal(done)[..(width - done)]);
                }
            }
            else
            {
                ConvertRow(row, cb.Row(y)[..width], cr.Row(y)[..width]);
            }
        }

        state.ConvertedRows = Math.Max(state.ConvertedRows, end);
    }

    // Per chroma component: an upsampled row and a padded row of (column) sums, with room for
    // whole vectors past the ends.
    private static int RowLength(int width) => width + 64;

    private static int SumLength(int width) => (width / 2) + 64;

    /// <summary>Y (in <paramref name="luma"/>) with upsampled Cb and Cr to R, G, B, to luminance, in place.</summary>
    internal static void ConvertRow(Span<float> luma, ReadOnlySpan<short> cb, ReadOnlySpan<short> cr)
    {
        var x = 0;
        if (Avx2.IsSupported && luma.Length >= 16)
        {
            // The three spans have the same length (the caller slices them), so the loads and
            // stores of x .. x + 15 with x + 16 <= length stay inside all three.
            ref var l = ref MemoryMarshal.GetReference(luma);
            ref var b = ref MemoryMarshal.GetReference(cb[..luma.Length]);
            ref var r = ref MemoryMarshal.GetReference(cr[..luma.Length]);
            for (; x <= luma.Length - 16; x += 16)
            {
                // Y holds whole numbers 0..255, so the plain truncating conversion is exact.
                var y0 = Avx.ConvertToVector256Int32WithTruncation(Vector256.LoadUnsafe(ref l, (nuint)x));
                var y1 = Avx.ConvertToVector256Int32WithTruncation(Vector256.LoadUnsafe(ref l, (nuint)x + 8));
                var y = Avx2.Permute4x64(Avx2.PackSignedSaturate(y0, y1).AsInt64(), 0b11_01_10_00).AsInt16();
                var blue = Vector256.LoadUnsafe(ref b, (nuint)x) - Vector256.Create((short)128);
                var red = Vector256.LoadUnsafe(ref r, (nuint)x) - Vector256.Create((short)128);
                var (rr, gg, bb) = ToRgb16(y, blue, red);
                Weigh(rr.GetLower(), gg.GetLower(), bb.GetLower()).StoreUnsafe(ref l, (nuint)x);
                Weigh(rr.GetUpper(), gg.GetUpper(), bb.GetUpper()).StoreUnsafe(ref l, (nuint)x + 8);
            }
        }

        for (; x < luma.Length; x++)
        {
            var y = (int)luma[x];
            var blue = cb[x] - 128;
            var red = cr[x] - 128;
            var rr = Math.Clamp(y + (((red * CrToR) + OneHalf) >> ScaleBits), 0, 255);
            var gg = Math.Clamp(y + (((blue * -CbToG) + OneHalf + (red * -CrToG)) >> ScaleBits), 0, 255);
            var bb = Math.Clamp(y + (((blue * CbToB) + OneHalf) >> ScaleBits), 0, 255);
            luma[x] = Luminance.Weigh(rr, gg, bb);
        }
    }

    /// <summary>
    /// <see cref="ConvertRow"/> for chroma upsampled 2:1 across, straight from the padded column
    /// sums of <see cref="Upsampler.Sums"/>: 32 pixels a step, from 16 sums of each component.
    /// Returns how many pixels it did (whole steps); the caller does the rest.
    /// </summary>
    /// <remarks>
    /// The triangle filter's even and odd outputs of 16 columns interleave with in-lane unpacks into
    /// pixels 0..7 and 16..23 (one vector) and 8..15 and 24..31 (the other), so the conversion runs
    /// on those two groups: Y is packed in the same order (the vpermq of <see cref="ConvertRow"/>
    /// puts the first load in the lower half and the second in the upper) and each half of the
    /// result is stored where its pixels are. The same equations on the same values as
    /// <see cref="Upsampler.Row"/> followed by <see cref="ConvertRow"/>.
    /// </remarks>
    private static int ConvertRowFromSums(Span<float> luma, ReadOnlySpan<short> cbSums, ReadOnlySpan<short> crSums, bool vertical)
    {
        var steps = luma.Length / 32;
        if (steps == 0)
        {
            return 0;
        }

        // The slices prove the unchecked accesses: sums j .. j + 17 for j = 16 * step, and
        // luminance 32 * step .. + 31, for step < steps.
        ref var l = ref MemoryMarshal.GetReference(luma[..(32 * steps)]);
        ref var b = ref MemoryMarshal.GetReference(cbSums[..((16 * steps) + 2)]);
        ref var r = ref MemoryMarshal.GetReference(crSums[..((16 * steps) + 2)]);
        var (evenBias, oddBias, shift) = TriangleRounding(vertical);
        var even0 = Vector256.Create(evenBias);
        var odd0 = Vector256.Create(oddBias);
        var centre = Vector256.Create((short)128);
        for (nuint j = 0, x = 0; x < (nuint)(32 * steps); j += 16, x += 32)
        {
            var (blueEven, blueOdd) = Triangle(ref b, j, even0, odd0, shift);
            var (redEven, redOdd) = Triangle(ref r, j, even0, odd0, shift);
            ConvertGroup(ref l, x, x + 16, Avx2.UnpackLow(blueEven, blueOdd) - centre, Avx2.UnpackLow(redEven, redOdd) - centre);
            ConvertGroup(ref l, x + 8, x + 24, Avx2.UnpackHigh(blueEven, blueOdd) - centre, Avx2.UnpackHigh(redEven, redOdd) - centre);
        }

        return 32 * steps;
    }

    /// <summary>
    /// The rounding of libjpeg's triangle filter over padded column sums: biases of the even and odd
    /// outputs and the shift, for h2v2 (sums of 3 near + far rows) or h2v1 (the samples themselves).
    /// </summary>
    private static (short EvenBias, short OddBias, int Shift) TriangleRounding(bool vertical) => vertical ? ((short)8, (short)7, 4) : ((short)1, (short)2, 2);

    /// <summary>
    /// The triangle filter's even and odd outputs of the 16 columns from <paramref name="at"/>:
    /// (3 * middle + left + even bias) and (3 * middle + right + odd bias), shifted.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<short> Even, Vector256<short> Odd) Triangle(ref short sums, nuint at, Vector256<short> even0, Vector256<short> odd0, int shift)
    {
        var middle = Vector256.LoadUnsafe(ref sums, at + 1) * 3;
        return (
            Vector256.ShiftRightArithmetic(middle + Vector256.LoadUnsafe(ref sums, at) + even0, shift),
            Vector256.ShiftRightArithmetic(middle + Vector256.LoadUnsafe(ref sums, at + 2) + odd0, shift));
    }

    /// <summary>
    /// Eight pixels at <paramref name="lower"/> and eight at <paramref name="upper"/>, whose Cb and Cr
    /// (less 128) are the lower and upper halves of <paramref name="blue"/> and <paramref name="red"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ConvertGroup(ref float luma, nuint lower, nuint upper, Vector256<short> blue, Vector256<short> red)
    {
        var y0 = Avx.ConvertToVector256Int32WithTruncation(Vector256.LoadUnsafe(ref luma, lower));
        var y1 = Avx.ConvertToVector256Int32WithTruncation(Vector256.LoadUnsafe(ref luma, upper));
        var y = Avx2.Permute4x64(Avx2.PackSignedSaturate(y0, y1).AsInt64(), 0b11_01_10_00).AsInt16();
        var (rr, gg, bb) = ToRgb16(y, blue, red);
        Weigh(rr.GetLower(), gg.GetLower(), bb.GetLower()).StoreUnsafe(ref luma, lower);
        Weigh(rr.GetUpper(), gg.GetUpper(), bb.GetUpper()).StoreUnsafe(ref luma, upper);
    }

    /// <summary>
    /// jdcolor.c's integer equations on sixteen 16-bit lanes, exactly: R, G and B clamped to 0..255.
    /// </summary>
    /// <remarks>
    /// A constant above 32767 is split into a multiple of 2^16, which passes the rounding shift
    /// whole, and a remainder that fits 16 bits: 91881 = 65536 + 26345, 116130 = 2 * 65536 - 14942,
    /// -46802 = -65536 + 18734. <see cref="RoundedHigh"/> then gives (x * c + 2^15) >> 16 exactly;
    /// G's two products are summed before the shift (as libjpeg sums them) with pmaddwd in 32 bits.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<short> R, Vector256<short> G, Vector256<short> B) ToRgb16(Vector256<short> y, Vector256<short> blue, Vector256<short> red)
    {
        var redOffset = red + RoundedHigh(red, (short)(CrToR - (1 << ScaleBits)));
        var blueOffset = blue + blue + RoundedHighEven(blue, (short)(CbToB - (2 << ScaleBits)));

        // Pairs (Cb, Cr) times (-CbToG, 65536 - CrToG); unpack and pack are both per 128-bit lane,
        // so the pack restores the order.
        var greenWeights = Vector256.Create((-CbToG & 0xFFFF) | (((1 << ScaleBits) - CrToG) << 16)).AsInt16();
        var half = Vector256.Create(OneHalf);
        var low = Avx2.ShiftRightArithmetic(Avx2.MultiplyAddAdjacent(Avx2.UnpackLow(blue, red), greenWeights) + half, ScaleBits);
        var high = Avx2.ShiftRightArithmetic(Avx2.MultiplyAddAdjacent(Avx2.UnpackHigh(blue, red), greenWeights) + half, ScaleBits);
        var greenOffset = Avx2.PackSignedSaturate(low, high) - red;

        var max = Vector256.Create((short)255);
        return (
            Vector256.Min(Vector256.Max(y + redOffset, Vector256<short>.Zero), max),
            Vector256.Min(Vector256.Max(y + greenOffset, Vector256<short>.Zero), max),
            Vector256.Min(Vector256.Max(y + blueOffset, Vector256<short>.Zero), max));
    }

    /// <summary>
    /// (x * c + 2^15) &gt;&gt; 16 for x in -128..127 and a 16-bit c, in three steps: pmulhw of x * 2^7
    /// (which fits 16 bits) gives t = floor(x * c / 2^9), and pmulhrsw of t by 2^8 gives
    /// (t + 2^6) &gt;&gt; 7, which is floor((x * c + 2^15) / 2^16) because a floor inside a floor
    /// division by a whole number changes nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> RoundedHigh(Vector256<short> x, short c)
    {
        var high = Avx2.MultiplyHigh(Vector256.ShiftLeft(x, 7), Vector256.Create(c));
        return Avx2.MultiplyHighRoundScale(high, Vector256.Create((short)(1 << 8)));
    }

    /// <summary>
    /// <see cref="RoundedHigh"/> for an even c, in one step: (x * c + 2^15) &gt;&gt; 16 is
    /// (x * (c / 2) + 2^14) &gt;&gt; 15, which is what pmulhrsw computes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> RoundedHighEven(Vector256<short> x, short c)
    {
        Debug.Assert(c % 2 == 0, "pmulhrsw halves the constant");
        return Avx2.MultiplyHighRoundScale(x, Vector256.Create((short)(c / 2)));
    }

    /// <summary>Eight clamped samples of each channel weighed by <see cref="Luminance.Weigh(Vector256{float}, Vector256{float}, Vector256{float})"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Weigh(Vector128<short> red, Vector128<short> green, Vector128<short> blue) =>
        Luminance.Weigh(
            Vector256.ConvertToSingle(Avx2.ConvertToVector256Int32(red)),
            Vector256.ConvertToSingle(Avx2.ConvertToVector256Int32(green)),
            Vector256.ConvertToSingle(Avx2.ConvertToVector256Int32(blue)));

    /// <summary>Makes the rows of one chroma component at the image's resolution, as libjpeg's jdsample.c does.</summary>
    private readonly ref struct Upsampler
    {
        private readonly ReadOnlySpan<short> _plane;
        private readonly Span<short> _output;
        private readonly Span<short> _sums;
        private readonly int _stride;
        private readonly int _factorX;
        private readonly int _factorY;
        private readonly int _columns;
        private readonly int _lines;
        private readonly int _width;

        public Upsampler(JpegFrame frame, JpegComponent component, ReadOnlySpan<short> plane, int stride, Span<short> output, Span<short> sums)
        {
            _plane = plane;
            _stride = stride;
            _output = output;
            _sums = sums;
            _factorX = frame.MaxHorizontal / component.Horizontal;
            _factorY = frame.MaxVertical / component.Vertical;
            _width = frame.Width;

            // The component's real size; libjpeg's edge rule repeats its last real row and column.
            _columns = (int)((((long)frame.Width * component.Horizontal) + frame.MaxHorizontal - 1) / frame.MaxHorizontal);
            _lines = (int)((((long)frame.Height * component.Vertical) + frame.MaxVertical - 1) / frame.MaxVertical);
        }

        /// <summary>True when the component is upsampled 2:1 across and 1:1 or 2:1 down (h2v1, h2v2).</summary>
        public bool Horizontal2 => _factorX == 2 && _factorY is 1 or 2;

        /// <summary>True when the component is upsampled 2:1 down.</summary>
        public bool Vertical2 => _factorY == 2;

        public bool SameSamplingAs(in Upsampler other) =>
            _factorX == other._factorX && _factorY == other._factorY && _columns == other._columns && _lines == other._lines;

        /// <summary>
        /// For h2v1 and h2v2: the column sums of row <paramref name="y"/> (the samples themselves
        /// for h2v1, 3 near + far for h2v2), padded at each end with the edge value, in the sums
        /// buffer; <see cref="Horizontal"/> then makes the row from them.
        /// </summary>
        public ReadOnlySpan<short> Sums(int y)
        {
            var line = Math.Min(y / _factorY, _lines - 1);
            var vectors = (_columns + 15) & ~15;
            var near = _plane.Slice(line * _stride, vectors);
            var upper = (y & 1) == 0;
            var far = _factorY == 2 ? _plane.Slice((upper ? Math.Max(line - 1, 0) : Math.Min(line + 1, _lines - 1)) * _stride, vectors) : near;

            // The slices prove what the unchecked loads and stores touch: sums 1 .. vectors (the
            // buffer has width / 2 + 64 >= columns + 63).
            var sums = _sums[..(vectors + 18)];
            ref var n = ref MemoryMarshal.GetReference(near);
            ref var f = ref MemoryMarshal.GetReference(far);
            ref var s = ref MemoryMarshal.GetReference(sums);
            var vertical = _factorY == 2;
            for (nuint x = 0; x < (nuint)vectors; x += 16)
            {
                var value = Vector256.LoadUnsafe(ref n, x);
                if (vertical)
                {
                    value = (value * 3) + Vector256.LoadUnsafe(ref f, x);
                }

                value.StoreUnsafe(ref s, x + 1);
            }

            sums[0] = sums[1];
            sums[_columns + 1] = sums[_columns];
            return sums;
        }

        /// <summary>
        /// For h2v1 and h2v2, after <see cref="Sums"/>: the row's upsampled values from pixel
        /// <paramref name="from"/> (even) on, in the output buffer, scalar (the few pixels the
        /// fused conversion leaves at a row's end).
        /// </summary>
        public ReadOnlySpan<short> Horizontal(int from)
        {
            var (evenBias, oddBias, shift) = TriangleRounding(Vertical2);
            for (var x = from; x < _width; x++)
            {
                var column = x >> 1;
                var middle = 3 * _sums[column + 1];
                _output[x] = (short)((x & 1) == 0 ? (middle + _sums[column] + evenBias) >> shift : (middle + _sums[column + 2] + oddBias) >> shift);
            }

            return _output[from.._width];
        }

        public ReadOnlySpan<short> Row(int y)
        {
            var line = Math.Min(y / _factorY, _lines - 1);

            // Whole 16-lane vectors of the plane's row: the stride is a multiple of 8 at least
            // _columns, and the plane has 16 values of padding after its last row.
            var vectors = (_columns + 15) & ~15;
            var near = _plane.Slice(line * _stride, vectors);
            if (_factorX == 1 && _factorY == 1)
            {
                return near;
            }

            if (Horizontal2)
            {
                // h2v2: vertical sums (3 near + far) then the horizontal triangle, biases 8 and 7,
                // shift 4; h2v1: the samples themselves, biases 1 and 2, shift 2. Padding each end
                // with the edge value gives libjpeg's special cases for the first and last column.
                // Sixteen lanes of 16 bits: the largest value, 4 * (3 * 255 + 255) + 8, is 4088.
                // The slices prove what the unchecked loads and stores below touch: sums 0 ..
                // columns + 17 (see Sums), output 0 .. 2 * vectors (the row buffer has width + 64).
                var sums = Sums(y);
                var output = _output[..(2 * vectors)];
                ref var s = ref MemoryMarshal.GetReference(sums);
                ref var o = ref MemoryMarshal.GetReference(output);
                var (evenBias, oddBias, shift) = TriangleRounding(Vertical2);
                var even0 = Vector256.Create(evenBias);
                var odd0 = Vector256.Create(oddBias);
                for (nuint x = 0; x < (nuint)_columns; x += 16)
                {
                    var (even, odd) = Triangle(ref s, x, even0, odd0, shift);
                    Interleave(even, odd, ref o, 2 * x);
                }

                return _output;
            }

            var upper = (y & 1) == 0;
            var far = _factorY == 2 ? _plane.Slice((upper ? Math.Max(line - 1, 0) : Math.Min(line + 1, _lines - 1)) * _stride, vectors) : near;
            if (_factorY == 2 && _factorX == 1)
            {
                // h1v2 (libjpeg-turbo): 3/4 of the nearer row, 1/4 of the farther, bias 1 above and 2 below.
                var bias = Vector256.Create((short)(upper ? 1 : 2));
                for (var x = 0; x < vectors; x += 16)
                {
                    var sum = (Vector256.Create(near.Slice(x, 16)) * 3) + Vector256.Create(far.Slice(x, 16));
                    Vector256.ShiftRightArithmetic(sum + bias, 2).CopyTo(_output.Slice(x, 16));
                }

                return _output;
            }

            // Another whole ratio: each sample repeated (libjpeg's int_upsample).
            for (var x = 0; x < _width; x++)
            {
                _output[x] = near[x / _factorX];
            }

            return _output;
        }

        private static void Interleave(Vector256<short> even, Vector256<short> odd, ref short output, nuint at)
        {
            if (Avx2.IsSupported)
            {
                // The unpacks work within 128-bit lanes: low holds outputs 0..7 and 16..23, high
                // 8..15 and 24..31. The halves are stored where they belong (vextracti128 can store
                // straight to memory) rather than joined with vperm2i128, which Zen 1 splits into
                // 8 micro-ops.
                var low = Avx2.UnpackLow(even, odd);
                var high = Avx2.UnpackHigh(even, odd);
                low.GetLower().StoreUnsafe(ref output, at);
                high.GetLower().StoreUnsafe(ref output, at + 8);
                low.GetUpper().StoreUnsafe(ref output, at + 16);
                high.GetUpper().StoreUnsafe(ref output, at + 24);
                return;
            }

            for (nuint i = 0; i < 16; i++)
            {
                Unsafe.Add(ref output, at + (2 * i)) = even[(int)i];
                Unsafe.Add(ref output, at + (2 * i) + 1) = odd[(int)i];
            }
        }
    }
}
