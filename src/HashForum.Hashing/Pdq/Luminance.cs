using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace HashForum.Hashing.Pdq;

/// <summary>
/// Conversion of 8-bit pixels to the float luminance PDQ hashes.
/// </summary>
/// <remarks>
/// The reference uses BT.601 weights in single precision, unrounded
/// (<c>pdq/cpp/downscaling/downscaling.cpp</c>, <c>fillFloatLumaFromRGB</c>). ImageSharp's own grey
/// conversion uses BT.709 and rounds to a byte, so it must not be used for hashing.
/// </remarks>
public static class Luminance
{
    /// <summary>Weight of red (BT.601).</summary>
    public const float RedWeight = 0.299f;

    /// <summary>Weight of green (BT.601).</summary>
    public const float GreenWeight = 0.587f;

    /// <summary>Weight of blue (BT.601).</summary>
    public const float BlueWeight = 0.114f;

    /// <summary>
    /// Converts packed R, G, B bytes (3 a pixel) into luminance, one float a pixel.
    /// </summary>
    public static void FromRgb24(ReadOnlySpan<byte> rgb, Span<float> luma)
    {
        if (rgb.Length != luma.Length * 3)
        {
            throw new ArgumentException("An RGB row holds 3 bytes a pixel; the buffers do not agree.", nameof(rgb));
        }

        var done = Avx2.IsSupported ? FromRgb24Avx2(rgb, luma) : 0;
        for (int i = done, j = done * 3; i < luma.Length; i++, j += 3)
        {
            luma[i] = Weigh(rgb[j], rgb[j + 1], rgb[j + 2]);
        }
    }

    /// <summary>
    /// One pixel's luminance from samples in [0, 255], with the reference's operation order
    /// ((0.299 R + 0.587 G) + 0.114 B, in single precision, no fused multiply-add), so results agree
    /// to the last bit. Every weighing of pixels, here and in decoders, goes through this or its
    /// vector twin.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Weigh(int red, int green, int blue) => (RedWeight * red) + (GreenWeight * green) + (BlueWeight * blue);

    /// <summary><see cref="Weigh(int, int, int)"/> on eight pixels at once, the same operations per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Weigh(Vector256<float> red, Vector256<float> green, Vector256<float> blue) =>
        (Vector256.Create(RedWeight) * red) + (Vector256.Create(GreenWeight) * green) + (Vector256.Create(BlueWeight) * blue);

    /// <summary>
    /// The luminance of the eight pixels whose 24 bytes start at <paramref name="offset"/> (AVX2 only):
    /// byte shuffles split R, G and B, which widen to floats; then the same multiplies and adds as
    /// <see cref="Weigh(int, int, int)"/>, in the same order (no fused multiply-add), so every lane is the scalar
    /// result to the bit. The caller guarantees the 24 bytes are there.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> WeighEight(ref byte source, nuint offset)
    {
        const byte Zero = 0x80; // a shuffle index with the high bit set yields 0
        var redLow = Vector128.Create(0, 3, 6, 9, 12, 15, Zero, Zero, Zero, Zero, Zero, Zero, Zero, Zero, Zero, Zero);
        var redHigh = Vector128.Create(Zero, Zero, Zero, Zero, Zero, Zero, 10, 13, Zero, Zero, Zero, Zero, Zero, Zero, Zero, Zero);
        var greenLow = Vector128.Create(1, 4, 7, 10, 13, Zero, Zero, Zero, Zero, Zero, Zero, Zero, Zero, Zero, Zero, Zero);
        var greenHigh = Vector128.Create(Zero, Zero, Zero, Zero, Zero, 8, 11, 14, Zero, Zero, Zero, Zero, Zero, Zero, Zero, Zero);
        var blueLow = Vector128.Create(2, 5, 8, 11, 14, Zero, Zero, Zero, Zero, Zero, Zero, Zero, Zero, Zero, Zero, Zero);
        var blueHigh = Vector128.Create(Zero, Zero, Zero, Zero, Zero, 9, 12, 15, Zero, Zero, Zero, Zero, Zero, Zero, Zero, Zero);

        // Bytes 0..15 and 8..23 of the eight pixels' 24.
        var low = Vector128.LoadUnsafe(ref source, offset);
        var high = Vector128.LoadUnsafe(ref source, offset + 8);
        var r = Avx2.ConvertToVector256Int32(Ssse3.Shuffle(low, redLow) | Ssse3.Shuffle(high, redHigh)).AsInt32();
        var g = Avx2.ConvertToVector256Int32(Ssse3.Shuffle(low, greenLow) | Ssse3.Shuffle(high, greenHigh)).AsInt32();
        var b = Avx2.ConvertToVector256Int32(Ssse3.Shuffle(low, blueLow) | Ssse3.Shuffle(high, blueHigh)).AsInt32();
        return Weigh(Vector256.ConvertToSingle(r), Vector256.ConvertToSingle(g), Vector256.ConvertToSingle(b));
    }

    /// <summary>
    /// The luminance of four pixels at <paramref name="low"/> (lanes 0..3) and four at
    /// <paramref name="high"/> (lanes 4..7), AVX2 only: each half is one 16-byte load whose first 12
    /// bytes are the pixels, and one in-lane byte shuffle per channel puts each sample in the low byte of
    /// its lane, so no lane-crossing step is needed. Same multiplies and adds as <see cref="Weigh(Vector256{float}, Vector256{float}, Vector256{float})"/>.
    /// The caller guarantees 16 bytes at each offset.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> WeighFourAndFour(ref byte source, nuint low, nuint high)
    {
        const byte Zero = 0x80;
        var bytes = Vector256.Create(Vector128.LoadUnsafe(ref source, low), Vector128.LoadUnsafe(ref source, high));
        var red = Vector256.Create(0, Zero, Zero, Zero, 3, Zero, Zero, Zero, 6, Zero, Zero, Zero, 9, Zero, Zero, Zero, 0, Zero, Zero, Zero, 3, Zero, Zero, Zero, 6, Zero, Zero, Zero, 9, Zero, Zero, Zero);
        var green = Vector256.Create(1, Zero, Zero, Zero, 4, Zero, Zero, Zero, 7, Zero, Zero, Zero, 10, Zero, Zero, Zero, 1, Zero, Zero, Zero, 4, Zero, Zero, Zero, 7, Zero, Zero, Zero, 10, Zero, Zero, Zero);
        var blue = Vector256.Create(2, Zero, Zero, Zero, 5, Zero, Zero, Zero, 8, Zero, Zero, Zero, 11, Zero, Zero, Zero, 2, Zero, Zero, Zero, 5, Zero, Zero, Zero, 8, Zero, Zero, Zero, 11, Zero, Zero, Zero);
        return Weigh(
            Vector256.ConvertToSingle(Avx2.Shuffle(bytes, red).AsInt32()),
            Vector256.ConvertToSingle(Avx2.Shuffle(bytes, green).AsInt32()),
            Vector256.ConvertToSingle(Avx2.Shuffle(bytes, blue).AsInt32()));
    }

    /// <summary>Eight pixels a step through <see cref="WeighEight"/>. Returns how many pixels it did.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int FromRgb24Avx2(ReadOnlySpan<byte> rgb, Span<float> luma)
    {
        ref var source = ref MemoryMarshal.GetReference(rgb);
        ref var destination = ref MemoryMarshal.GetReference(luma);
        var pixels = luma.Length;
        var i = 0;
        for (; i + 8 <= pixels; i += 8)
        {
            WeighEight(ref source, (nuint)(i * 3)).StoreUnsafe(ref destination, (nuint)i);
        }

        return i;
    }

    /// <summary>
    /// Converts 8-bit grey samples into luminance (grey is used as is).
    /// </summary>
    public static void FromGray8(ReadOnlySpan<byte> gray, Span<float> luma)
    {
        if (gray.Length != luma.Length)
        {
            throw new ArgumentException("A grey row holds 1 byte a pixel; the buffers do not agree.", nameof(gray));
        }

        for (var i = 0; i < luma.Length; i++)
        {
            luma[i] = gray[i];
        }
    }
}
