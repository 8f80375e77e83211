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

        for (int i = 0, j = 0; i < luma.Length; i++, j += 3)
        {
            // Same operation order as the reference, so results agree to the last bit.
            luma[i] = (RedWeight * rgb[j]) + (GreenWeight * rgb[j + 1]) + (BlueWeight * rgb[j + 2]);
        }
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
