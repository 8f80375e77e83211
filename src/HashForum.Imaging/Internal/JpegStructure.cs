using System.Buffers.Binary;

namespace HashForum.Imaging.Internal;

/// <summary>
/// Walks the marker structure of a JPEG before ImageSharp sees it.
/// </summary>
/// <remarks>
/// Two reasons. (1) ImageSharp 2.1, like libjpeg, pads a file that ends early with empty blocks and
/// returns an image whose lower part is flat grey; the hash of that is a hash of garbage, so the
/// file must reach its end-of-image marker. (2) Each progressive scan can revisit every block of
/// the image, so a small file with thousands of scans costs minutes of CPU; the number of scans is
/// capped (libjpeg-turbo offers the same guard as a "scan limit"). The walk is linear in the input
/// and allocates nothing.
/// </remarks>
internal static class JpegStructure
{
    private const string Format = "JPEG";

    /// <summary>Checks the structure and returns the number of scans.</summary>
    public static int Check(ReadOnlySpan<byte> data, int maxScans)
    {
        if (data.Length < 4)
        {
            throw DecodeErrors.Truncated(Format);
        }

        var position = 2; // after SOI (FF D8), which format detection has seen
        var scans = 0;
        var sawFrame = false;
        while (true)
        {
            if (position >= data.Length)
            {
                throw DecodeErrors.Truncated(Format);
            }

            // Stray bytes between segments mean a length field was damaged; libjpeg skips them
            // with a warning, we refuse, because what follows is decoded out of step.
            if (data[position] != 0xFF)
            {
                throw DecodeErrors.Corrupt(Format, "its marker structure is damaged");
            }

            while (position < data.Length && data[position] == 0xFF)
            {
                position++; // fill bytes
            }

            if (position >= data.Length)
            {
                throw DecodeErrors.Truncated(Format);
            }

            var marker = data[position++];
            if (marker == 0xD9)
            {
                // End of image; anything after it (camera trailers, appended data) is ignored.
                if (scans == 0)
                {
                    throw DecodeErrors.Corrupt(Format, "it holds no image data");
                }

                return scans;
            }

            if (marker is (>= 0xD0 and <= 0xD7) or 0x01)
            {
                continue; // restart markers and TEM stand alone
            }

            if (marker is 0x00 or 0xD8)
            {
                throw DecodeErrors.Corrupt(Format, "its marker structure is damaged");
            }

            if (data.Length - position < 2)
            {
                throw DecodeErrors.Truncated(Format);
            }

            int segmentLength = BinaryPrimitives.ReadUInt16BigEndian(data[position..]);
            if (segmentLength < 2)
            {
                throw DecodeErrors.Corrupt(Format, "a segment length is impossible");
            }

            if (segmentLength > data.Length - position)
            {
                throw DecodeErrors.Truncated(Format);
            }

            position += segmentLength;
            if (IsStartOfFrame(marker))
            {
                sawFrame = true;
            }
            else if (marker == 0xDA)
            {
                if (!sawFrame)
                {
                    throw DecodeErrors.Corrupt(Format, "image data comes before the frame header");
                }

                if (++scans > maxScans)
                {
                    throw DecodeErrors.TooManyScans(scans, maxScans);
                }

                position = SkipEntropyCodedData(data, position);
            }
        }
    }

    /// <summary>Returns the position of the marker that ends the entropy-coded data of a scan.</summary>
    private static int SkipEntropyCodedData(ReadOnlySpan<byte> data, int position)
    {
        while (true)
        {
            var next = data[position..].IndexOf((byte)0xFF);
            if (next < 0)
            {
                throw DecodeErrors.Truncated(Format);
            }

            position += next;
            if (position + 1 >= data.Length)
            {
                throw DecodeErrors.Truncated(Format);
            }

            var following = data[position + 1];
            if (following == 0x00 || following is >= 0xD0 and <= 0xD7)
            {
                position += 2; // a stuffed 0xFF data byte, or a restart marker inside the scan
            }
            else if (following == 0xFF)
            {
                position++; // fill byte before a marker
            }
            else
            {
                return position;
            }
        }
    }

    // SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range.
    private static bool IsStartOfFrame(byte marker) =>
        marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC;
}
