using System.Buffers.Binary;

namespace HashForum.Imaging.Internal;

/// <summary>
/// The CRC-32 of PNG chunks (ISO 3309, polynomial 0xEDB88320, reflected).
/// </summary>
/// <remarks>
/// Every byte of a PNG's image data goes through here, so it uses "slicing by 8" (eight tables,
/// eight bytes a step), several times faster than one table. The BCL's CRC-32 lives in the
/// System.IO.Hashing package, which the build does not reference, and ImageSharp's is internal.
/// </remarks>
internal static class Crc32
{
    private static readonly uint[] _tables = BuildTables();

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        var t = _tables;
        while (data.Length >= 8)
        {
            var low = BinaryPrimitives.ReadUInt32LittleEndian(data) ^ crc;
            var high = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            crc = t[(7 * 256) + (low & 0xFF)] ^ t[(6 * 256) + ((low >> 8) & 0xFF)]
                ^ t[(5 * 256) + ((low >> 16) & 0xFF)] ^ t[(4 * 256) + (low >> 24)]
                ^ t[(3 * 256) + (high & 0xFF)] ^ t[(2 * 256) + ((high >> 8) & 0xFF)]
                ^ t[256 + ((high >> 16) & 0xFF)] ^ t[high >> 24];
            data = data[8..];
        }

        foreach (var b in data)
        {
            crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return ~crc;
    }

    /// <summary>Table k gives the CRC of a byte followed by k zero bytes.</summary>
    private static uint[] BuildTables()
    {
        var tables = new uint[8 * 256];
        for (var n = 0u; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            tables[n] = c;
        }

        for (var n = 0; n < 256; n++)
        {
            for (var k = 1; k < 8; k++)
            {
                var previous = tables[((k - 1) * 256) + n];
                tables[(k * 256) + n] = tables[previous & 0xFF] ^ (previous >> 8);
            }
        }

        return tables;
    }
}
