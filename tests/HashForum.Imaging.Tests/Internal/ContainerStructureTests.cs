using System.Buffers.Binary;
using HashForum.Imaging.Internal;

namespace HashForum.Imaging.Tests.Internal;

/// <summary>The structure walks that run before ImageSharp sees a byte.</summary>
public sealed class ContainerStructureTests
{
    [Test]
    public void Crc32_CheckString_MatchesTheStandardCheckValue()
    {
        // Act: the check value of CRC-32/ISO-HDLC over "123456789".
        var crc = Crc32.Compute("123456789"u8);

        // Assert
        Assert.That(crc, Is.EqualTo(0xCBF43926u));
    }

    [Test]
    public void Crc32_AnyLength_MatchesTheBitwiseDefinition()
    {
        // Arrange: lengths around the 8-byte stride, against the one-bit-at-a-time definition.
        var random = new Random(5);
        for (var length = 0; length < 40; length++)
        {
            var data = new byte[length];
            random.NextBytes(data);

            // Act
            var crc = Crc32.Compute(data);

            // Assert
            Assert.That(crc, Is.EqualTo(BitwiseCrc(data)), $"length {length}");
        }
    }

    [TestCase(new byte[] { 0xFF }, ImageDecodeError.Truncated)]
    [TestCase(new byte[] { 0x89, 0x50, 0x4E }, ImageDecodeError.Truncated)]
    [TestCase(new byte[] { (byte)'G', (byte)'I', (byte)'F', (byte)'8', (byte)'7' }, ImageDecodeError.Truncated)]
    [TestCase(new byte[] { (byte)'R', (byte)'I', (byte)'F', (byte)'F', 0, 0, 0, 0, (byte)'W', (byte)'E' }, ImageDecodeError.Truncated)]
    [TestCase(new byte[] { (byte)'R', (byte)'I', (byte)'F', (byte)'F', 0, 0, 0, 0, (byte)'W', (byte)'A', (byte)'V', (byte)'E' }, ImageDecodeError.UnsupportedFormat)]
    [TestCase(new byte[] { (byte)'G', (byte)'I', (byte)'F', (byte)'9', (byte)'0', (byte)'a' }, ImageDecodeError.UnsupportedFormat)]
    public void Detect_ShortOrForeignSignature_IsRefused(byte[] data, ImageDecodeError expected)
    {
        // Act
        var exception = Assert.Throws<ImageDecodeException>(() => ContainerSniffer.Detect(data));

        // Assert
        Assert.That(exception!.Error, Is.EqualTo(expected));
    }

    [TestCase(new byte[] { 0, 0, 0, 0x18, (byte)'f', (byte)'t', (byte)'y', (byte)'p', (byte)'h', (byte)'e', (byte)'i', (byte)'c' }, "HEIF/HEIC")]
    [TestCase(new byte[] { 0, 0, 0, 0x18, (byte)'f', (byte)'t', (byte)'y', (byte)'p', (byte)'a', (byte)'v', (byte)'i', (byte)'f' }, "AVIF")]
    [TestCase(new byte[] { 0xFF, 0x0A, 0, 0 }, "JPEG XL")]
    [TestCase(new byte[] { 0, 0, 1, 0, 1, 0 }, "ICO/CUR")]
    [TestCase(new byte[] { (byte)'8', (byte)'B', (byte)'P', (byte)'S' }, "Photoshop")]
    public void Detect_CommonRefusedFormat_IsNamedInTheMessage(byte[] data, string name)
    {
        // Act
        var exception = Assert.Throws<ImageDecodeException>(() => ContainerSniffer.Detect(data));

        // Assert
        Assert.That(exception!.Error, Is.EqualTo(ImageDecodeError.UnsupportedFormat));
        Assert.That(exception.Message, Does.StartWith(name + " images are not accepted."));
    }

    [Test]
    public void PngCheck_DamagedAncillaryChunk_IsTolerated()
    {
        // Arrange: a text chunk with a wrong CRC before the image data (metadata is never read).
        var png = TestImages.Png(8, 8);
        byte[] text = [0, 0, 0, 4, .. "tEXt"u8, .. "a\0bc"u8, 0xDE, 0xAD, 0xBE, 0xEF];
        byte[] data = [.. png.AsSpan(0, 33), .. text, .. png.AsSpan(33)];

        // Act, Assert
        Assert.DoesNotThrow(() => PngStructure.Check(data));
    }

    [Test]
    public void PngCheck_DamagedImageData_IsCorrupt()
    {
        // Arrange: one bit of the first IDAT chunk's data; ImageSharp alone does not check its CRC.
        var data = TestImages.Png(8, 8);
        var idat = data.AsSpan().IndexOf("IDAT"u8);
        data[idat + 6] ^= 0x10;

        // Act
        var exception = Assert.Throws<ImageDecodeException>(() => PngStructure.Check(data));

        // Assert
        Assert.That(exception!.Error, Is.EqualTo(ImageDecodeError.Corrupt));
        Assert.That(exception.Message, Does.Contain("checksum"));
    }

    [Test]
    public void PngCheck_MissingEnd_IsTruncated()
    {
        // Arrange: drop the 12-byte IEND chunk.
        var data = TestImages.Png(8, 8);

        // Act
        var exception = Assert.Throws<ImageDecodeException>(() => PngStructure.Check(data.AsSpan(0, data.Length - 12)));

        // Assert
        Assert.That(exception!.Error, Is.EqualTo(ImageDecodeError.Truncated));
    }

    [Test]
    public void JpegCheck_ValidFile_CountsItsScans()
    {
        // Act
        var scans = JpegStructure.Check(TestImages.Jpeg(16, 16), maxScans: 10);

        // Assert: a baseline interleaved JPEG has one scan.
        Assert.That(scans, Is.EqualTo(1));
    }

    [Test]
    public void JpegCheck_DataAfterEndOfImage_IsIgnored()
    {
        // Arrange: cameras and editors append trailers after EOI.
        byte[] data = [.. TestImages.Jpeg(16, 16), .. "trailing bytes"u8];

        // Act, Assert
        Assert.That(JpegStructure.Check(data, maxScans: 10), Is.EqualTo(1));
    }

    [Test]
    public void JpegCheck_StrayByteBetweenSegments_IsCorrupt()
    {
        // Arrange: a byte where the next marker should start (a damaged length field looks like this).
        var clean = TestImages.Jpeg(16, 16);
        var app0Length = BinaryPrimitives.ReadUInt16BigEndian(clean.AsSpan(4));
        var next = 4 + app0Length;
        byte[] data = [.. clean.AsSpan(0, next), 0x00, .. clean.AsSpan(next)];

        // Act
        var exception = Assert.Throws<ImageDecodeException>(() => JpegStructure.Check(data, maxScans: 10));

        // Assert
        Assert.That(exception!.Error, Is.EqualTo(ImageDecodeError.Corrupt));
    }

    [Test]
    public void GifCheck_AnimatedFile_EndsAfterTheFirstImage()
    {
        // Arrange
        var one = LuminanceRuleTests.AnimatedGif(frames: 1);
        var three = LuminanceRuleTests.AnimatedGif(frames: 3);

        // Act
        var (endOfOne, width, height, _) = GifStructure.FindEndOfFirstImage(one);
        var (endOfThree, _, _, _) = GifStructure.FindEndOfFirstImage(three);

        // Assert: the single-frame file is its first image plus the trailer.
        Assert.That(endOfOne, Is.EqualTo(one.Length - 1));
        Assert.That(endOfThree, Is.LessThan(three.Length - 1));
        Assert.That((width, height), Is.EqualTo((8, 8)));
    }

    [Test]
    public void GifCheck_NoImageBeforeTheTrailer_IsCorrupt()
    {
        // Arrange: header, screen 1x1 without a colour table, trailer.
        byte[] data = [.. "GIF89a"u8, 1, 0, 1, 0, 0, 0, 0, 0x3B];

        // Act
        var exception = Assert.Throws<ImageDecodeException>(() => GifStructure.FindEndOfFirstImage(data));

        // Assert
        Assert.That(exception!.Error, Is.EqualTo(ImageDecodeError.Corrupt));
    }

    [Test]
    public void WebpCheck_RiffSizeBeyondTheFile_IsTruncated()
    {
        // Arrange
        var data = TestImages.WebpLossy(16, 16);
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(4), (uint)data.Length);

        // Act
        var exception = Assert.Throws<ImageDecodeException>(() => WebpStructure.Check(data));

        // Assert
        Assert.That(exception!.Error, Is.EqualTo(ImageDecodeError.Truncated));
    }

    [Test]
    public void WebpCheck_FirstChunkNotAnImage_IsCorrupt()
    {
        // Arrange: rename the image chunk.
        var data = TestImages.WebpLossy(16, 16);
        "JUNK"u8.CopyTo(data.AsSpan(12));

        // Act
        var exception = Assert.Throws<ImageDecodeException>(() => WebpStructure.Check(data));

        // Assert
        Assert.That(exception!.Error, Is.EqualTo(ImageDecodeError.Corrupt));
    }

    private static uint BitwiseCrc(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
            }
        }

        return ~crc;
    }
}
