using System.Buffers.Binary;

namespace HashForum.Imaging.Internal;

/// <summary>
/// Walks the RIFF chunks of a WebP before ImageSharp sees it.
/// </summary>
/// <remarks>
/// ImageSharp 2.1 trusts chunk sizes: it allocates what a chunk header claims (an alpha chunk of
/// 4 GB in a 100-byte file) and decodes a cut-off bitstream into partly blank pixels. Every chunk
/// must fit inside the RIFF size, and the RIFF size inside the file. Animation is refused here with
/// a clear message (ImageSharp 2.1 cannot decode it either).
/// </remarks>
internal static class WebpStructure
{
    private const string Format = "WebP";

    public static void Check(ReadOnlySpan<byte> data)
    {
        // "RIFF", size, "WEBP", then at least one chunk header.
        if (data.Length < 20)
        {
            throw DecodeErrors.Truncated(Format);
        }

        var riffSize = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
        if (riffSize > (uint)(data.Length - 8))
        {
            throw DecodeErrors.Truncated(Format);
        }

        var end = 8 + (int)riffSize;
        var position = 12;
        var sawImage = false;
        var first = true;
        while (position < end)
        {
            if (end - position < 8)
            {
                throw DecodeErrors.Corrupt(Format, "a chunk header is cut short");
            }

            var type = data.Slice(position, 4);
            var size = BinaryPrimitives.ReadUInt32LittleEndian(data[(position + 4)..]);
            if (size > (uint)(end - position - 8))
            {
                throw DecodeErrors.Truncated(Format);
            }

            var isVp8 = type.SequenceEqual("VP8 "u8) || type.SequenceEqual("VP8L"u8);
            if (first && !isVp8 && !type.SequenceEqual("VP8X"u8))
            {
                throw DecodeErrors.Corrupt(Format, "it does not start with an image chunk");
            }

            if (type.SequenceEqual("ANIM"u8) || type.SequenceEqual("ANMF"u8))
            {
                throw DecodeErrors.Unsupported(Format, "animation");
            }

            if (type.SequenceEqual("ALPH"u8) && size < 1)
            {
                throw DecodeErrors.Corrupt(Format, "its alpha chunk is empty");
            }

            sawImage |= isVp8;
            first = false;

            // Chunks are padded to an even size.
            position += 8 + (int)size + (int)(size & 1);
        }

        if (!sawImage)
        {
            throw DecodeErrors.Corrupt(Format, "it holds no image data");
        }
    }
}
