using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
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

    public static void ToLuminance(JpegLumaDecoder.DecodeState state, Span<float> luma, CountingMemoryAllocator allocator)
    {
        var frame = state.Frame;
        var width = frame.Width;
        using var rows = allocator.Allocate<int>(2 * (width + 16));
        var cb = rows.Memory.Span[..(width + 16)];
        var cr = rows.Memory.Span.Slice(width + 16, width + 16);
        var cbPlane = state.Planes[1]!.Memory.Span;
        var crPlane = state.Planes[2]!.Memory.Span;
        for (var y = 0; y < frame.Height; y++)
        {
            Upsample(frame, frame.Components[1], cbPlane, state.PlaneStride[1], y, cb);
            Upsample(frame, frame.Components[2], crPlane, state.PlaneStride[2], y, cr);
            ConvertRow(luma.Slice(y * width, width), cb[..width], cr[..width]);
        }
    }

    /// <summary>One output row of a chroma component, upsampled to the image's width (or a little more).</summary>
    private static void Upsample(JpegFrame frame, JpegComponent component, ReadOnlySpan<byte> plane, int stride, int y, Span<int> output)
    {
        var factorX = frame.MaxHorizontal / component.Horizontal;
        var factorY = frame.MaxVertical / component.Vertical;

        // The component's real size; libjpeg's edge rule repeats its last real row and column.
        var columns = (int)(((long)frame.Width * component.Horizontal + frame.MaxHorizontal - 1) / frame.MaxHorizontal);
        var lines = (int)(((long)frame.Height * component.Vertical + frame.MaxVertical - 1) / frame.MaxVertical);
        var line = Math.Min(y / factorY, lines - 1);
        var near = plane.Slice(line * stride, columns);

        if (factorY == 2 && (factorX is 1 or 2))
        {
            // Vertical triangle filter: 3/4 of the nearer row, 1/4 of the farther one.
            var upper = (y & 1) == 0;
            var farLine = upper ? Math.Max(line - 1, 0) : Math.Min(line + 1, lines - 1);
            var far = plane.Slice(farLine * stride, columns);
            if (factorX == 1)
            {
                // h1v2 (libjpeg-turbo): bias 1 above, 2 below.
                var bias = upper ? 1 : 2;
                for (var x = 0; x < columns; x++)
                {
                    output[x] = ((3 * near[x]) + far[x] + bias) >> 2;
                }

                return;
            }

            // h2v2: column sums, then the horizontal triangle filter with biases 8 and 7.
            if (columns == 1)
            {
                output[0] = output[1] = ((4 * ((3 * near[0]) + far[0])) + 8) >> 4;
                return;
            }

            var lastSum = (3 * near[0]) + far[0];
            var thisSum = lastSum;
            var nextSum = (3 * near[1]) + far[1];
            output[0] = ((thisSum * 4) + 8) >> 4;
            output[1] = ((thisSum * 3) + nextSum + 7) >> 4;
            for (var x = 1; x < columns - 1; x++)
            {
                lastSum = thisSum;
                thisSum = nextSum;
                nextSum = (3 * near[x + 1]) + far[x + 1];
                output[2 * x] = ((thisSum * 3) + lastSum + 8) >> 4;
                output[(2 * x) + 1] = ((thisSum * 3) + nextSum + 7) >> 4;
            }

            lastSum = thisSum;
            thisSum = nextSum;
            output[(2 * columns) - 2] = ((thisSum * 3) + lastSum + 8) >> 4;
            output[(2 * columns) - 1] = ((thisSum * 4) + 7) >> 4;
            return;
        }

        if (factorY == 1 && factorX == 2 && columns > 1)
        {
            // h2v1: 3/4 of the sample, 1/4 of its neighbour, biases 1 and 2.
            output[0] = near[0];
            output[1] = ((near[0] * 3) + near[1] + 2) >> 2;
            for (var x = 1; x < columns - 1; x++)
            {
                output[2 * x] = ((near[x] * 3) + near[x - 1] + 1) >> 2;
                output[(2 * x) + 1] = ((near[x] * 3) + near[x + 1] + 2) >> 2;
            }

            output[(2 * columns) - 2] = ((near[columns - 1] * 3) + near[columns - 2] + 1) >> 2;
            output[(2 * columns) - 1] = near[columns - 1];
            return;
        }

        // Full resolution, or another whole ratio: each sample repeated (libjpeg's int_upsample).
        var width = Math.Min(frame.Width, columns * factorX);
        for (var x = 0; x < width; x++)
        {
            output[x] = near[x / factorX];
        }
    }

    /// <summary>Y (in <paramref name="luma"/>) with upsampled Cb and Cr to R, G, B, to luminance, in place.</summary>
    private static void ConvertRow(Span<float> luma, ReadOnlySpan<int> cb, ReadOnlySpan<int> cr)
    {
        var x = 0;
        if (Vector256.IsHardwareAccelerated && luma.Length >= 8)
        {
            // The three spans have the same length (the caller slices them), so the loads and
            // stores of x .. x + 7 with x + 8 <= length stay inside all three.
            ref var l = ref MemoryMarshal.GetReference(luma);
            ref var b = ref MemoryMarshal.GetReference(cb[..luma.Length]);
            ref var r = ref MemoryMarshal.GetReference(cr[..luma.Length]);
            for (; x <= luma.Length - 8; x += 8)
            {
                var y = Vector256.ConvertToInt32(Vector256.LoadUnsafe(ref l, (nuint)x));
                var blue = Vector256.LoadUnsafe(ref b, (nuint)x) - Vector256.Create(128);
                var red = Vector256.LoadUnsafe(ref r, (nuint)x) - Vector256.Create(128);
                var half = Vector256.Create(OneHalf);
                var rr = Clamp(y + Vector256.ShiftRightArithmetic((red * CrToR) + half, ScaleBits));
                var gg = Clamp(y + Vector256.ShiftRightArithmetic((blue * -CbToG) + half + (red * -CrToG), ScaleBits));
                var bb = Clamp(y + Vector256.ShiftRightArithmetic((blue * CbToB) + half, ScaleBits));
                var weighted = (Vector256.Create(Luminance.RedWeight) * Vector256.ConvertToSingle(rr)) + (Vector256.Create(Luminance.GreenWeight) * Vector256.ConvertToSingle(gg));
                (weighted + (Vector256.Create(Luminance.BlueWeight) * Vector256.ConvertToSingle(bb))).StoreUnsafe(ref l, (nuint)x);
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
            luma[x] = (Luminance.RedWeight * rr) + (Luminance.GreenWeight * gg) + (Luminance.BlueWeight * bb);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Clamp(Vector256<int> value) =>
        Vector256.Min(Vector256.Max(value, Vector256<int>.Zero), Vector256.Create(255));
}
