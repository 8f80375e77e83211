using System.Buffers.Binary;
using System.Diagnostics;
using HashForum.Imaging.Internal;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;

namespace HashForum.Imaging.Tests;

/// <summary>
/// A corpus of broken files made here: truncated at every offset, bit-flipped, zeroed, lying about
/// their size, with thousands of frames or scans. Each must end in a clear
/// <see cref="ImageDecodeException"/> (or, where the damage does not touch the pixels we use, the
/// same pixels as the intact file), never another exception, a hang or a leaked pool buffer.
/// </summary>
public sealed class CorruptInputTests
{
    private ImageDecoder _decoder = null!;

    [SetUp]
    public void SetUp() => _decoder = new ImageDecoder();

    [TearDown]
    public void TearDown()
    {
        Assert.That(_decoder.OutstandingBuffers, Is.Zero, "pooled buffers not returned");
        Assert.That(_decoder.Allocator.OutstandingBytes, Is.Zero, "pooled bytes not returned");
    }

    [TestCaseSource(typeof(TestImages), nameof(TestImages.EachFormat))]
    public void Decode_TruncatedAtEveryOffset_RefusesOrReturnsTheIntactPixels(string format, byte[] data)
    {
        // Arrange
        var intact = Pixels(data);
        var refused = 0;

        for (var length = 0; length < data.Length; length++)
        {
            // Act
            var (pixels, error) = Attempt(_decoder, data.AsSpan(0, length).ToArray());

            // Assert: a GIF cut after its first image still has every pixel we hash; nothing else may pass.
            if (error is null)
            {
                Assert.That(pixels, Is.EqualTo(intact), $"{format} cut at {length} decoded to different pixels");
            }
            else
            {
                refused++;
                var expected = length == 0 ? ImageDecodeError.Empty : ImageDecodeError.Truncated;
                Assert.That(error.Error, Is.EqualTo(expected).Or.EqualTo(ImageDecodeError.Corrupt), $"{format} cut at {length}: {error.Message}");
            }

            Assert.That(_decoder.OutstandingBuffers, Is.Zero, $"{format} cut at {length} leaked a buffer");
        }

        Assert.That(refused, Is.GreaterThanOrEqualTo(data.Length - 1));
    }

    [TestCaseSource(typeof(TestImages), nameof(TestImages.EachFormat))]
    public void Decode_BitFlippedHeader_RefusesCleanlyOrDecodes(string format, byte[] data)
    {
        // Arrange: every bit of the first 160 bytes (signatures, headers, tables), one at a time.
        var span = Math.Min(160, data.Length);
        var decodeTime = Stopwatch.StartNew();

        for (var bit = 0; bit < span * 8; bit++)
        {
            var damaged = (byte[])data.Clone();
            damaged[bit / 8] ^= (byte)(1 << (bit % 8));
            decodeTime.Restart();

            // Act
            var (pixels, _) = Attempt(_decoder, damaged);

            // Assert: no checksum protects JPEG, GIF or WebP headers, so a decode may succeed with
            // other pixels; it must still be an image of bounded size, made quickly.
            if (pixels is not null)
            {
                Assert.That(pixels, Has.Length.LessThanOrEqualTo(new ImageLimits().MaxPixels));
            }

            Assert.That(decodeTime.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), $"{format} bit {bit}");
            Assert.That(_decoder.OutstandingBuffers, Is.Zero, $"{format} bit {bit} leaked a buffer");
        }
    }

    [TestCaseSource(typeof(TestImages), nameof(TestImages.EachFormat))]
    public void Decode_RandomlyMutated_RefusesCleanlyOrDecodes(string format, byte[] data)
    {
        // Arrange: a small deterministic fuzz run; each case overwrites 1 to 8 random bytes.
        var random = new Random(20261127);
        var decodeTime = Stopwatch.StartNew();

        for (var run = 0; run < 400; run++)
        {
            var damaged = (byte[])data.Clone();
            for (var i = random.Next(1, 9); i > 0; i--)
            {
                damaged[random.Next(damaged.Length)] = (byte)random.Next(256);
            }

            decodeTime.Restart();

            // Act
            _ = Attempt(_decoder, damaged);

            // Assert
            Assert.That(decodeTime.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), $"{format} run {run}");
            Assert.That(_decoder.OutstandingBuffers, Is.Zero, $"{format} run {run} leaked a buffer");
        }

        TestContext.Out.WriteLine($"{format}: buffers dropped by the decoder and returned by the arena: {_decoder.Allocator.ReclaimedBuffers}");
    }

    [Test]
    public void Decode_PngWithAnyBitFlipped_RefusesOrReturnsTheIntactPixels()
    {
        // Arrange: PNG chunks carry CRCs, so damage anywhere in the image data must be caught.
        var data = TestImages.Png(24, 16);
        var intact = Pixels(data);

        for (var bit = 0; bit < data.Length * 8; bit += 3)
        {
            var damaged = (byte[])data.Clone();
            damaged[bit / 8] ^= (byte)(1 << (bit % 8));

            // Act
            var (pixels, error) = Attempt(_decoder, damaged);

            // Assert
            if (error is null)
            {
                Assert.That(pixels, Is.EqualTo(intact), $"bit {bit} changed the pixels undetected");
            }
        }
    }

    [TestCaseSource(typeof(TestImages), nameof(TestImages.EachFormat))]
    public void Decode_BodyZeroedAfterHeader_RefusesCleanly(string format, byte[] data)
    {
        foreach (var keep in new[] { 2, 4, 8, 12, 16, 32, 64 })
        {
            // Arrange
            var damaged = new byte[data.Length];
            data.AsSpan(0, Math.Min(keep, data.Length)).CopyTo(damaged);

            // Act
            var (_, error) = Attempt(_decoder, damaged);

            // Assert
            Assert.That(error, Is.Not.Null, $"{format} with only {keep} header bytes decoded");
        }
    }

    [TestCase(0, ImageDecodeError.Empty)]
    [TestCase(1, ImageDecodeError.UnsupportedFormat)]
    [TestCase(1000, ImageDecodeError.UnsupportedFormat)]
    public void Decode_ZeroBytes_IsRefused(int length, ImageDecodeError expected)
    {
        // Act
        var (_, error) = Attempt(_decoder, new byte[length]);

        // Assert
        Assert.That(error?.Error, Is.EqualTo(expected));
    }

    [Test]
    public void Decode_PngClaiming100000x100000_IsRefusedBeforeAnyPixelBuffer()
    {
        // Arrange
        var data = PngWithSize(100_000, 100_000);
        _decoder.Allocator.ResetPeak();

        // Act
        var (_, error) = Attempt(_decoder, data);

        // Assert
        Assert.That(error?.Error, Is.EqualTo(ImageDecodeError.TooLarge));
        Assert.That(error!.Message, Does.Contain("100000x100000"));
        Assert.That(_decoder.Allocator.PeakBytes, Is.LessThan(1024 * 1024));
    }

    [Test]
    public void Identify_PngClaiming100000x100000_ReportsTheClaimedSize()
    {
        // Act
        var info = _decoder.Identify(PngWithSize(100_000, 100_000));

        // Assert
        Assert.That(info, Is.EqualTo(new ImageInfo("png", 100_000, 100_000)));
    }

    [Test]
    public void Decode_JpegClaiming60000x60000_IsRefusedBeforeAnyPixelBuffer()
    {
        // Arrange: rewrite the frame header of a small JPEG.
        var data = TestImages.Jpeg(16, 16);
        var sof = IndexOfMarker(data, 0xC0);
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(sof + 5), 60_000);
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(sof + 7), 60_000);
        _decoder.Allocator.ResetPeak();

        // Act
        var (_, error) = Attempt(_decoder, data);

        // Assert
        Assert.That(error?.Error, Is.EqualTo(ImageDecodeError.TooLarge));
        Assert.That(_decoder.Allocator.PeakBytes, Is.LessThan(1024 * 1024));
    }

    [Test]
    public void Decode_GifClaiming65535x65535_IsRefusedBeforeAnyPixelBuffer()
    {
        // Arrange: the logical screen size is bytes 6-9.
        var data = TestImages.Gif(16, 16);
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(6), 65_535);
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(8), 65_535);
        _decoder.Allocator.ResetPeak();

        // Act
        var (_, error) = Attempt(_decoder, data);

        // Assert
        Assert.That(error?.Error, Is.EqualTo(ImageDecodeError.TooLarge));
        Assert.That(_decoder.Allocator.PeakBytes, Is.LessThan(1024 * 1024));
    }

    [Test]
    public void Decode_GifWhoseFirstFrameIsLargerThanTheLimits_IsRefused()
    {
        // Arrange: a small screen, but a first frame claiming 65535x65535 (ImageSharp would decode
        // every row of the frame's width).
        var data = TestImages.Gif(16, 16);
        var descriptor = IndexOfFirstImageDescriptor(data);
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(descriptor + 5), 65_535);
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(descriptor + 7), 65_535);

        // Act
        var (_, error) = Attempt(_decoder, data);

        // Assert
        Assert.That(error?.Error, Is.EqualTo(ImageDecodeError.TooLarge));
    }

    [Test]
    public void Decode_WebpClaiming16384x16384_IsRefusedBeforeAnyPixelBuffer()
    {
        // Arrange: a lossless WebP's VP8L header holds width-1 and height-1 in 14 bits each.
        var data = TestImages.WebpLossless(16, 16);
        var vp8l = data.AsSpan().IndexOf("VP8L"u8);
        var bits = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(vp8l + 9));
        bits |= 0x0FFF_FFFF;
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(vp8l + 9), bits);
        _decoder.Allocator.ResetPeak();

        // Act
        var (_, error) = Attempt(_decoder, data);

        // Assert
        Assert.That(error?.Error, Is.EqualTo(ImageDecodeError.TooLarge));
        Assert.That(_decoder.Allocator.PeakBytes, Is.LessThan(1024 * 1024));
    }

    [Test]
    public void Decode_GifWithThousandsOfFrames_DecodesTheFirstFrameQuickly()
    {
        // Arrange: 5000 copies of the second frame's block after the first.
        var data = GifWithFrames(5000);
        var elapsed = Stopwatch.StartNew();
        _decoder.Allocator.ResetPeak();

        // Act
        using var luma = _decoder.Decode(data);

        // Assert: the first (red) frame, at a cost independent of the frame count.
        Assert.That(luma.Pixels.ToArray(), Has.All.EqualTo(Hashing.Pdq.Luminance.RedWeight * 255));
        Assert.That(elapsed.Elapsed, Is.LessThan(TimeSpan.FromSeconds(2)));
        Assert.That(_decoder.Allocator.PeakBytes, Is.LessThan(256 * 1024));
        Assert.That(data, Has.Length.GreaterThan(100_000));
    }

    [Test]
    public void Decode_GifWithDamagedLaterFrames_DecodesTheFirstFrame()
    {
        // Arrange: garbage after the first image, then a cut.
        var valid = LuminanceRuleTests.AnimatedGif(frames: 1);
        var (end, _, _, _) = GifStructure.FindEndOfFirstImage(valid);
        var data = valid.AsSpan(0, end).ToArray().Concat(new byte[] { 0x2C, 0x99, 0x13, 0x00, 0x21 }).ToArray();

        // Act
        using var luma = _decoder.Decode(data);

        // Assert
        Assert.That(luma.Pixels.ToArray(), Has.All.EqualTo(Hashing.Pdq.Luminance.RedWeight * 255));
    }

    [Test]
    public void Decode_JpegWithThousandsOfScans_IsRefusedAsTooComplex()
    {
        // Arrange: repeat the scan (SOS header and its data) well past the limit.
        var data = TestImages.Jpeg(16, 16);
        var sos = IndexOfMarker(data, 0xDA);
        var eoi = data.Length - 2;
        var scan = data.AsSpan(sos, eoi - sos).ToArray();
        var bomb = new List<byte>(data.AsSpan(0, sos).ToArray());
        for (var i = 0; i < 2000; i++)
        {
            bomb.AddRange(scan);
        }

        bomb.AddRange(new byte[] { 0xFF, 0xD9 });

        // Act
        var (_, error) = Attempt(_decoder, bomb.ToArray());

        // Assert
        Assert.That(error?.Error, Is.EqualTo(ImageDecodeError.TooComplex));
    }

    [Test]
    public void Decode_SlowerThanTheTimeBudget_IsRefusedAsTooComplex()
    {
        // Arrange: a budget of one tick is spent by the time the header has been read, whichever
        // thread runs the timer when.
        var decoder = new ImageDecoder(new ImageLimits { DecodeTimeout = TimeSpan.FromTicks(1) });

        foreach (var data in new[] { TestImages.Jpeg(), TestImages.Png(), TestImages.Gif(), TestImages.WebpLossy() })
        {
            // Act
            var (_, error) = Attempt(decoder, data);

            // Assert
            Assert.That(error?.Error, Is.EqualTo(ImageDecodeError.TooComplex));
            Assert.That(error!.Message, Does.Contain("took longer than"));
            Assert.That(decoder.OutstandingBuffers, Is.Zero);
        }
    }

    [TestCaseSource(typeof(TestImages), nameof(TestImages.EachFormat))]
    public void Decode_OverTheMemoryBudget_IsRefusedAndReturnsEveryBuffer(string format, byte[] data)
    {
        // Arrange: 1 MiB cannot hold a 1000x1000 image in any pixel format.
        _ = data;
        var decoder = new ImageDecoder(new ImageLimits { MaxDecodeMemoryBytes = 1024 * 1024 });
        using var image = TestImages.Solid(1000, 1000);
        var large = TestImages.Encode(image, format switch
        {
            "jpeg" => new JpegEncoder(),
            "png" => new PngEncoder(),
            "gif" => new GifEncoder(),
            _ => new WebpEncoder { FileFormat = WebpFileFormatType.Lossy },
        });

        // Act
        var (_, error) = Attempt(decoder, large);

        // Assert
        Assert.That(error?.Error, Is.EqualTo(ImageDecodeError.TooLarge), error?.InnerException?.ToString());
        TestContext.Out.WriteLine($"{format}: buffers the decoder dropped and the arena returned: {decoder.Allocator.ReclaimedBuffers}");
        Assert.That(decoder.OutstandingBuffers, Is.Zero);
        Assert.That(decoder.Allocator.OutstandingBytes, Is.Zero);
    }

    [TestCase("jpeg")]
    [TestCase("png")]
    [TestCase("gif")]
    [TestCase("webp-lossless")]
    [TestCase("webp-lossy")]
    public void Decode_ImageAtThePixelLimit_FitsTheDefaultBudgetScaledDown(string format)
    {
        // Arrange: the default budget per allowed pixel (1 GiB / 50 MP, about 21 bytes), applied to
        // a quarter-megapixel limit, must hold an image of that size in every format at its most
        // expensive (JPEG 4:4:4, lossless WebP).
        const int Side = 500;
        var defaults = new ImageLimits();
        var bytesPerPixel = (double)defaults.MaxDecodeMemoryBytes / defaults.MaxPixels;
        var decoder = new ImageDecoder(new ImageLimits { MaxPixels = Side * Side, MaxDecodeMemoryBytes = (long)(bytesPerPixel * Side * Side) });
        using var image = TestImages.Smooth(Side, Side);
        var data = TestImages.Encode(image, format switch
        {
            "jpeg" => new JpegEncoder { ColorType = JpegColorType.YCbCrRatio444 },
            "png" => new PngEncoder(),
            "gif" => new GifEncoder(),
            "webp-lossless" => new WebpEncoder { FileFormat = WebpFileFormatType.Lossless },
            _ => new WebpEncoder { FileFormat = WebpFileFormatType.Lossy },
        });
        decoder.Allocator.ResetPeak();

        // Act
        using (var luma = decoder.Decode(data))
        {
            // Assert
            Assert.That(luma.Width, Is.EqualTo(Side));
        }

        TestContext.Out.WriteLine($"{format}: peak {decoder.Allocator.PeakBytes / (double)(Side * Side):0.0} bytes a pixel");
        Assert.That(decoder.OutstandingBuffers, Is.Zero);
    }

    [Test]
    public void Decode_OverTheInputLimit_IsRefusedBeforeParsing()
    {
        // Arrange
        var decoder = new ImageDecoder(new ImageLimits { MaxInputBytes = 100 });

        // Act
        var (_, error) = Attempt(decoder, TestImages.Png());

        // Assert
        Assert.That(error?.Error, Is.EqualTo(ImageDecodeError.TooLarge));
    }

    [TestCase(100, 10_000)]
    [TestCase(50, 1_000)]
    public void Decode_OverTheConfiguredDimensions_IsRefused(int maxSide, long maxPixels)
    {
        // Arrange: 48x32 = 1536 pixels.
        var decoder = new ImageDecoder(new ImageLimits { MaxSide = maxSide, MaxPixels = maxPixels });
        var data = TestImages.Png(maxSide == 100 ? 101 : 48, 32);

        // Act
        var (_, error) = Attempt(decoder, data);

        // Assert
        Assert.That(error?.Error, Is.EqualTo(ImageDecodeError.TooLarge));
    }

    [Test]
    public void Decode_AnimatedWebp_IsRefusedAsUnsupported()
    {
        // Arrange: a VP8X file whose first chunk after the header is ANIM.
        var data = RiffWebp(
            Chunk("VP8X", [0x02, 0, 0, 0, 15, 0, 0, 15, 0, 0]),
            Chunk("ANIM", [0, 0, 0, 0, 0, 0]));

        // Act
        var (_, error) = Attempt(_decoder, data);

        // Assert
        Assert.That(error?.Error, Is.EqualTo(ImageDecodeError.UnsupportedFormat));
    }

    [Test]
    public void Decode_WebpWithHugeAlphaChunkClaim_IsRefusedAsTruncated()
    {
        // Arrange: an alpha chunk claiming 4 GB in a tiny file (ImageSharp would try to allocate it).
        var data = RiffWebp(Chunk("VP8X", [0x10, 0, 0, 0, 15, 0, 0, 15, 0, 0]));
        var alpha = new byte[] { (byte)'A', (byte)'L', (byte)'P', (byte)'H', 0xF0, 0xFF, 0xFF, 0xFF, 0 };
        data = [.. data, .. alpha];
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(4), (uint)(data.Length - 8));

        // Act
        var (_, error) = Attempt(_decoder, data);

        // Assert
        Assert.That(error?.Error, Is.EqualTo(ImageDecodeError.Truncated));
    }

    [Test]
    public void Decode_JpegMissingItsEndMarker_IsRefusedAsTruncated()
    {
        // Arrange: ImageSharp alone would pad the missing blocks with grey.
        var data = TestImages.Jpeg(64, 64);
        var cut = data.AsSpan(0, data.Length - 2).ToArray();

        // Act
        var (_, error) = Attempt(_decoder, cut);

        // Assert
        Assert.That(error?.Error, Is.EqualTo(ImageDecodeError.Truncated));
        Assert.That(error!.Message, Does.Contain("truncated"));
    }

    /// <summary>Decodes, returning the pixels or the decode error; any other exception fails the test.</summary>
    internal static (float[]? Pixels, ImageDecodeException? Error) Attempt(ImageDecoder decoder, byte[] data)
    {
        try
        {
            using var luma = decoder.Decode(data);
            return (luma.Pixels.ToArray(), null);
        }
        catch (ImageDecodeException exception)
        {
            AssertFitForCallers(exception);
            return (null, exception);
        }
    }

    internal static void AssertFitForCallers(ImageDecodeException exception)
    {
        Assert.That(exception.Message, Is.Not.Empty);
        Assert.That(exception.Message, Does.Not.Contain("SixLabors").And.Not.Contain("Exception").And.Not.Contain("\n").And.Not.Match(@"\bat [\w.]+\("));
        Assert.That(exception.Message, Does.EndWith("."));
    }

    private float[] Pixels(byte[] data)
    {
        using var luma = _decoder.Decode(data);
        return luma.Pixels.ToArray();
    }

    private static byte[] PngWithSize(int width, int height)
    {
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth
        header[9] = 2; // RGB
        return [.. PngStructure.Signature, .. PngChunk("IHDR", header), .. PngChunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]), .. PngChunk("IEND", [])];
    }

    private static byte[] PngChunk(string type, byte[] content)
    {
        var chunk = new byte[12 + content.Length];
        BinaryPrimitives.WriteInt32BigEndian(chunk, content.Length);
        System.Text.Encoding.ASCII.GetBytes(type, chunk.AsSpan(4));
        content.CopyTo(chunk, 8);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + content.Length), Crc32.Compute(chunk.AsSpan(4, 4 + content.Length)));
        return chunk;
    }

    private static byte[] RiffWebp(params byte[][] chunks)
    {
        byte[] body = [.. "WEBP"u8, .. chunks.SelectMany(c => c)];
        var riff = new byte[8 + body.Length];
        "RIFF"u8.CopyTo(riff);
        BinaryPrimitives.WriteUInt32LittleEndian(riff.AsSpan(4), (uint)body.Length);
        body.CopyTo(riff, 8);
        return riff;
    }

    private static byte[] Chunk(string type, byte[] content)
    {
        var chunk = new byte[8 + content.Length + (content.Length & 1)];
        System.Text.Encoding.ASCII.GetBytes(type, chunk);
        BinaryPrimitives.WriteUInt32LittleEndian(chunk.AsSpan(4), (uint)content.Length);
        content.CopyTo(chunk, 8);
        return chunk;
    }

    private static int IndexOfMarker(byte[] data, byte marker)
    {
        for (var i = 2; i < data.Length - 1; i++)
        {
            if (data[i] == 0xFF && data[i + 1] == marker)
            {
                return i;
            }
        }

        throw new InvalidOperationException("marker not found");
    }

    private static int IndexOfFirstImageDescriptor(byte[] data)
    {
        // Header, screen descriptor, global colour table, then blocks until the first 0x2C.
        var position = 13 + ((data[10] & 0x80) != 0 ? 3 << ((data[10] & 7) + 1) : 0);
        while (data[position] == 0x21)
        {
            position += 2;
            while (data[position] != 0)
            {
                position += data[position] + 1;
            }

            position++;
        }

        Assert.That(data[position], Is.EqualTo(0x2C));
        return position;
    }

    private static byte[] GifWithFrames(int count)
    {
        // A red first frame and one blue frame; the blue frame's blocks (from the end of the first
        // image to the trailer) are then repeated.
        var two = LuminanceRuleTests.AnimatedGif(frames: 2);
        var (end, _, _, _) = GifStructure.FindEndOfFirstImage(two);
        var laterFrame = two.AsSpan(end, two.Length - 1 - end).ToArray();
        var data = new List<byte>(two.AsSpan(0, end).ToArray());
        for (var i = 0; i < count; i++)
        {
            data.AddRange(laterFrame);
        }

        data.Add(0x3B);
        return [.. data];
    }
}
