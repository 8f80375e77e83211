using System.Buffers.Binary;

namespace HashForum.Imaging.Internal;

/// <summary>
/// Walks the chunk structure of a PNG before ImageSharp sees it.
/// </summary>
/// <remarks>
/// ImageSharp 2.1 is lenient in ways that turn damage into plausible pixels: it decodes a file
/// cut off in the middle of its image data (the missing rows stay black), it does not check the
/// checksum of image-data chunks, and it skips over chunk lengths it does not like. Hashing such
/// output would share a hash of garbage. So every chunk must fit in the file, every critical chunk
/// (IHDR, PLTE, IDAT, IEND) must match its CRC, and the file must reach IEND. Damaged ancillary
/// chunks are tolerated because metadata is never read.
/// </remarks>
internal static class PngStructure
{
    private const string Format = "PNG";

    public static ReadOnlySpan<byte> Signature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    public static void Check(ReadOnlySpan<byte> data)
    {
        if (data.Length < Signature.Length)
        {
            throw DecodeErrors.Truncated(Format);
        }

        var position = Signature.Length;
        var sawHeader = false;
        var sawData = false;
        while (true)
        {
            // Length (4), type (4), data (length), CRC (4).
            if (data.Length - position < 12)
            {
                throw DecodeErrors.Truncated(Format);
            }

            var length = BinaryPrimitives.ReadUInt32BigEndian(data[position..]);
            var type = data.Slice(position + 4, 4);
            if (!IsChunkType(type))
            {
                throw DecodeErrors.Corrupt(Format, "a chunk header is damaged");
            }

            if (length > (uint)(data.Length - position - 12))
            {
                throw DecodeErrors.Truncated(Format);
            }

            var chunkLength = (int)length;
            if (!sawHeader)
            {
                if (!type.SequenceEqual("IHDR"u8) || chunkLength != 13)
                {
                    throw DecodeErrors.Corrupt(Format, "the header chunk is missing or malformed");
                }

                sawHeader = true;
            }

            var isCritical = (type[0] & 0x20) == 0;
            if (isCritical)
            {
                var expected = BinaryPrimitives.ReadUInt32BigEndian(data[(position + 8 + chunkLength)..]);
                if (Crc32.Compute(data.Slice(position + 4, 4 + chunkLength)) != expected)
                {
                    throw DecodeErrors.Corrupt(Format, "a checksum does not match, so the data was damaged");
                }
            }

            position += 12 + chunkLength;
            if (type.SequenceEqual("IDAT"u8))
            {
                sawData = true;
            }
            else if (type.SequenceEqual("IEND"u8))
            {
                if (!sawData)
                {
                    throw DecodeErrors.Corrupt(Format, "it holds no image data");
                }

                return;
            }
        }
    }

    private static bool IsChunkType(ReadOnlySpan<byte> type)
    {
        foreach (var b in type)
        {
            if (!char.IsAsciiLetter((char)b))
            {
                return false;
            }
        }

        return true;
    }
}
