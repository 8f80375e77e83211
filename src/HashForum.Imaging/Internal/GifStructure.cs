namespace HashForum.Imaging.Internal;

/// <summary>
/// Walks the block structure of a GIF up to the end of its first image.
/// </summary>
/// <remarks>
/// Only the first frame is hashed. ImageSharp 2.1.13's GifDecoder can stop after one frame
/// (<c>DecodingMode = First</c>, which we also set), but what it does with the bytes after that
/// frame is its business, and a damaged trailing frame must not fail, or a missing one pass, for a
/// reason unrelated to the pixels we hash. So the decoder is handed the bytes up to the end of the
/// first image plus a trailer: thousands of later frames cost one linear scan of nothing, and a
/// file cut off inside the first image is refused as truncated instead of decoded with blank rows.
/// </remarks>
internal static class GifStructure
{
    private const string Format = "GIF";
    private const byte ExtensionIntroducer = 0x21;
    private const byte ImageSeparator = 0x2C;
    private const byte Trailer = 0x3B;

    /// <summary>Byte that ends a GIF stream.</summary>
    public const byte TrailerByte = Trailer;

    /// <summary>Bit of the graphic control flags that marks one palette index as transparent.</summary>
    public const byte TransparencyFlag = 0x01;

    /// <summary>
    /// Returns the offset just past the first image's data, that image's size, and the offset of
    /// the flags byte of the graphic control extension that applies to it (-1 when there is none).
    /// </summary>
    public static (int End, int FrameWidth, int FrameHeight, int ControlFlagsOffset) FindEndOfFirstImage(ReadOnlySpan<byte> data)
    {
        // Header (6) and logical screen descriptor (7).
        if (data.Length < 13)
        {
            throw DecodeErrors.Truncated(Format);
        }

        var position = 13;
        position += ColorTableLength(data[10]);
        var controlFlagsOffset = -1;
        while (true)
        {
            if (position >= data.Length)
            {
                throw DecodeErrors.Truncated(Format);
            }

            switch (data[position++])
            {
                case ExtensionIntroducer:
                    // A graphic control extension is label 0xF9, then a 4-byte block whose first
                    // byte holds the flags; the last one before the image applies to it.
                    if (data.Length - position >= 3 && data[position] == 0xF9 && data[position + 1] >= 1)
                    {
                        controlFlagsOffset = position + 2;
                    }

                    position++; // label
                    position = SkipSubBlocks(data, position);
                    break;

                case ImageSeparator:
                    // Left, top, width, height (2 bytes each), flags.
                    if (data.Length - position < 9)
                    {
                        throw DecodeErrors.Truncated(Format);
                    }

                    var width = data[position + 4] | (data[position + 5] << 8);
                    var height = data[position + 6] | (data[position + 7] << 8);
                    position += 9 + ColorTableLength(data[position + 8]);
                    if (position >= data.Length)
                    {
                        throw DecodeErrors.Truncated(Format);
                    }

                    // LZW minimum code size: codes are at most 12 bits wide.
                    var minimumCodeSize = data[position++];
                    if (minimumCodeSize is < 1 or > 11)
                    {
                        throw DecodeErrors.Corrupt(Format, "its image data is malformed");
                    }

                    return (SkipSubBlocks(data, position), width, height, controlFlagsOffset);

                case Trailer:
                    throw DecodeErrors.Corrupt(Format, "it holds no image");

                default:
                    throw DecodeErrors.Corrupt(Format, "its block structure is damaged");
            }
        }
    }

    private static int ColorTableLength(byte flags) =>
        (flags & 0x80) != 0 ? 3 << ((flags & 0x07) + 1) : 0;

    private static int SkipSubBlocks(ReadOnlySpan<byte> data, int position)
    {
        while (true)
        {
            if (position >= data.Length)
            {
                throw DecodeErrors.Truncated(Format);
            }

            var size = data[position++];
            if (size == 0)
            {
                return position;
            }

            position += size;
        }
    }
}
