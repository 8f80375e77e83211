using System.Buffers.Binary;
using HashForum.Hashing.Pdq;
using HashForum.Imaging.Internal.Jpeg;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;

namespace HashForum.Imaging.Tests;

/// <summary>
/// The luma-only JPEG decoder (Internal/Jpeg) against its oracle, ImageSharp's full decode followed
/// by the BT.601 weights (the same <see cref="ImageDecoder"/> with the fast path turned off).
/// </summary>
public sealed class JpegLumaDecoderTests
{
    /// <summary>
    /// Per-pixel bound against the oracle on unsaturated pictures. The two differ by the rounding of
    /// R, G and B (up to about 0.5 each) and by the IDCTs (libjpeg's integer one here, ImageSharp's
    /// float one there: at most 1 level apart).
    /// </summary>
    private const float MaxAbsDifference = 2.5f;

    private const double MaxMeanDifference = 0.5;

    private ImageDecoder _fast = null!;
    private ImageDecoder _oracle = null!;

    [SetUp]
    public void SetUp()
    {
        _fast = new ImageDecoder();
        _oracle = new ImageDecoder { JpegFastPath = false };
    }

    [TearDown]
    public void TearDown()
    {
        Assert.That(_fast.OutstandingBuffers, Is.Zero, "pooled buffers not returned");
        Assert.That(_fast.Allocator.OutstandingBytes, Is.Zero, "pooled bytes not returned");
        Assert.That(_oracle.OutstandingBuffers, Is.Zero, "pooled buffers not returned");
    }

    public static IEnumerable<TestCaseData> GeneratedJpegs()
    {
        (int Width, int Height)[] sizes = [(1, 1), (7, 9), (17, 33), (64, 48), (250, 160)];
        JpegColorType[] colours = [JpegColorType.YCbCrRatio444, JpegColorType.YCbCrRatio420, JpegColorType.Luminance];
        foreach (var (width, height) in sizes)
        {
            foreach (var colour in colours)
            {
                foreach (var quality in new[] { 50, 85, 100 })
                {
                    yield return new TestCaseData(width, height, colour, quality).SetArgDisplayNames($"{width}x{height}", colour.ToString(), $"q{quality}");
                }
            }
        }

        yield return new TestCaseData(1250, 800, JpegColorType.YCbCrRatio420, 85).SetArgDisplayNames("1250x800", "YCbCrRatio420", "q85");
        yield return new TestCaseData(1250, 800, JpegColorType.YCbCrRatio444, 75).SetArgDisplayNames("1250x800", "YCbCrRatio444", "q75");
    }

    [TestCaseSource(nameof(GeneratedJpegs))]
    public void Decode_GeneratedJpeg_IsWithinRoundingOfImageSharpLuma(int width, int height, JpegColorType colour, int quality)
    {
        // Arrange
        using var image = Unsaturated(width, height);
        var data = TestImages.Encode(image, new JpegEncoder { Quality = quality, ColorType = colour });
        Assert.That(JpegLumaDecoder.TryReadFrame(data), Is.Not.Null, "the file must take the fast path");

        // Act
        using var fast = _fast.Decode(data);
        using var oracle = _oracle.Decode(data);

        // Assert
        var (max, mean) = Difference(fast.Pixels, oracle.Pixels);
        TestContext.Out.WriteLine($"max abs difference {max:0.###}, mean {mean:0.####}");
        Assert.That((fast.Width, fast.Height), Is.EqualTo((width, height)));
        Assert.That(max, Is.LessThanOrEqualTo(MaxAbsDifference));
        Assert.That(mean, Is.LessThan(MaxMeanDifference));
        Assert.That(fast.Pixels.ToArray(), Has.All.InRange(0f, 255f));
        if (colour == JpegColorType.Luminance)
        {
            Assert.That(fast.Pixels.ToArray(), Has.All.Matches<float>(v => v == MathF.Floor(v)), "grey samples are used as is");
        }
    }

    // "leaves": overlapping discs of random colours and sizes (the "dead leaves" model of natural
    // images), structure at every scale as in a photo. "noise": every channel random over its
    // whole range, the worst case for clamping R, G and B (up to ~18 levels apart in single
    // pixels), for which the bar is Meta's own 10 bits rather than our 4. (Pure gradients are no
    // test of a hash: most of their DCT terms sit at the median, and one level flips many bits.)
    [TestCase("leaves", JpegColorType.YCbCrRatio420, 90, 4)]
    [TestCase("leaves", JpegColorType.YCbCrRatio444, 80, 4)]
    [TestCase("leaves", JpegColorType.Luminance, 85, 4)]
    [TestCase("noise", JpegColorType.YCbCrRatio420, 90, 10)]
    [TestCase("noise", JpegColorType.YCbCrRatio444, 80, 10)]
    public void Hash_PhotoSizedJpeg_IsWithinAFewBitsOfImageSharpPath(string picture, JpegColorType colour, int quality, int maxDistance)
    {
        // Arrange
        using var image = picture == "noise" ? TestImages.Noise(640, 480) : DeadLeaves(640, 480);
        var data = TestImages.Encode(image, new JpegEncoder { Quality = quality, ColorType = colour });
        var hasher = new PdqHasher();

        // Act
        using var fast = _fast.Decode(data);
        using var oracle = _oracle.Decode(data);
        var fastHash = hasher.Hash(fast.Pixels, fast.Width, fast.Height);
        var oracleHash = hasher.Hash(oracle.Pixels, oracle.Width, oracle.Height);

        // Assert
        var distance = fastHash.Hash.DistanceTo(oracleHash.Hash);
        var (max, mean) = Difference(fast.Pixels, oracle.Pixels);
        TestContext.Out.WriteLine($"distance {distance}, quality {fastHash.Quality} vs {oracleHash.Quality}; max abs difference {max:0.###}, mean {mean:0.####}");
        Assert.That(distance, Is.LessThanOrEqualTo(maxDistance));
        Assert.That(fastHash.Quality, Is.InRange(oracleHash.Quality - 1, oracleHash.Quality + 1));
    }

    [Test]
    public void Decode_GreyJpeg_IsFromGreyAndWithinOneLevelOfImageSharp()
    {
        // Arrange
        var data = TestImages.Jpeg(40, 24, JpegColorType.Luminance);

        // Act
        using var fast = _fast.Decode(data);
        using var oracle = _oracle.Decode(data);

        // Assert: the two IDCTs round differently by at most one level.
        Assert.That(fast.FromGrey, Is.True);
        Assert.That(Difference(fast.Pixels, oracle.Pixels).Max, Is.LessThanOrEqualTo(1));
    }

    [Test]
    public void Decode_ColourJpegOfANeutralPicture_IsFromGrey()
    {
        // Arrange: R = G = B everywhere, so the encoder's chroma is flat 128 (all coefficients zero).
        using var image = new Image<Rgb24>(48, 40);
        for (var y = 0; y < 40; y++)
        {
            for (var x = 0; x < 48; x++)
            {
                var level = (byte)((x * 5) + (y * 2));
                image[x, y] = new Rgb24(level, level, level);
            }
        }

        var data = TestImages.Encode(image, new JpegEncoder { Quality = 90, ColorType = JpegColorType.YCbCrRatio420 });

        // Act
        using var fast = _fast.Decode(data);
        using var oracle = _oracle.Decode(data);

        // Assert: the same verdict as the ImageSharp path's pixel check.
        Assert.That(oracle.FromGrey, Is.True);
        Assert.That(fast.FromGrey, Is.True);
    }

    [Test]
    public void Decode_ColourJpeg_IsNotFromGrey()
    {
        // Act
        using var fast = _fast.Decode(TestImages.Jpeg(48, 32));

        // Assert
        Assert.That(fast.FromGrey, Is.False);
    }

    [Test]
    public void Decode_RgbJpeg_TakesTheImageSharpPathUnchanged()
    {
        // Arrange: ImageSharp writes an Adobe marker with transform 0 (no YCbCr). (Its encoder's
        // "Cmyk" colour type writes a 3-component YCbCr file, so CMYK is tested with a real one.)
        var data = TestImages.Jpeg(40, 24, JpegColorType.Rgb);

        // Act
        using var withFastPath = _fast.Decode(data);
        using var without = _oracle.Decode(data);

        // Assert
        Assert.That(JpegLumaDecoder.TryReadFrame(data), Is.Null);
        Assert.That(withFastPath.Pixels.ToArray(), Is.EqualTo(without.Pixels.ToArray()));
    }

    [TestCase("pdq-data/misc-images/wee.jpg")]
    [TestCase("pdq-data/reg-test-input/dih/bridge-2-rotate-90.jpg")]
    [TestCase("pdq-data/misc-images/modes/CMYK.jpg")]
    public void Decode_ProgressiveOrCmykReferenceJpeg_TakesTheImageSharpPathUnchanged(string file)
    {
        // Arrange
        var data = File.ReadAllBytes(Path.Combine(PdqTestData.Folder(), file));

        // Act
        using var withFastPath = _fast.Decode(data);
        using var without = _oracle.Decode(data);

        // Assert
        Assert.That(JpegLumaDecoder.TryReadFrame(data), Is.Null);
        Assert.That(withFastPath.Pixels.ToArray(), Is.EqualTo(without.Pixels.ToArray()));
    }

    [TestCase("pdq-data/bridge-mods/high-contrast.jpg")]
    [TestCase("pdq-data/bridge-mods/square-128x128.jpg")]
    [TestCase("pdq-data/bridge-mods/shrink-a-little.jpg")]
    public void Decode_ReferenceJpegWithRestartMarkers_IsWithinRoundingOfImageSharpLuma(string file)
    {
        // Arrange: these files carry restart intervals of 8 to 100 MCUs.
        var data = File.ReadAllBytes(Path.Combine(PdqTestData.Folder(), file));
        Assert.That(JpegLumaDecoder.TryReadFrame(data), Is.Not.Null);

        // Act
        using var fast = _fast.Decode(data);
        using var oracle = _oracle.Decode(data);

        // Assert: photos reach saturated colours, where clamping R, G or B moves the luma further.
        var (max, mean) = Difference(fast.Pixels, oracle.Pixels);
        TestContext.Out.WriteLine($"max abs difference {max:0.###}, mean {mean:0.####}");
        Assert.That(mean, Is.LessThan(MaxMeanDifference));
    }

    [Test]
    public void Decode_EntropyDataCutAtManyOffsetsThenEnded_IsRefusedAsTruncatedOrCorrupt()
    {
        // Arrange: cut inside the scan and append an end-of-image marker, so that the structure
        // walk passes and the scan itself must notice that it ends before the image does.
        var data = TestImages.Jpeg(64, 48);
        var scanStart = ScanDataStart(data);
        var end = data.Length - 2;

        for (var cut = scanStart; cut < end; cut += 3)
        {
            byte[] damaged = [.. data.AsSpan(0, cut), 0xFF, 0xD9];

            // Act
            var (_, error) = CorruptInputTests.Attempt(_fast, damaged);

            // Assert
            Assert.That(error?.Error, Is.EqualTo(ImageDecodeError.Truncated).Or.EqualTo(ImageDecodeError.Corrupt), $"cut at {cut}");
            Assert.That(_fast.OutstandingBuffers, Is.Zero, $"cut at {cut} leaked a buffer");
        }
    }

    [Test]
    public void Decode_BitFlippedScanOrTables_RefusesCleanlyOrDecodesAnImageOfTheSameSize()
    {
        // Arrange: every bit from the first Huffman table to the end of the scan.
        var data = TestImages.Jpeg(32, 24);
        var from = IndexOfMarker(data, 0xC4);
        var refused = 0;

        for (var bit = from * 8; bit < (data.Length - 2) * 8; bit++)
        {
            var damaged = (byte[])data.Clone();
            damaged[bit / 8] ^= (byte)(1 << (bit % 8));

            // Act
            var (pixels, error) = CorruptInputTests.Attempt(_fast, damaged);

            // Assert
            if (error is null)
            {
                Assert.That(pixels, Has.Length.EqualTo(32 * 24));
            }
            else
            {
                refused++;
            }

            Assert.That(_fast.OutstandingBuffers, Is.Zero, $"bit {bit} leaked a buffer");
        }

        TestContext.Out.WriteLine($"{refused} of {((data.Length - 2 - from) * 8)} flips refused");
        Assert.That(refused, Is.GreaterThan(0));
    }

    [Test]
    public void Decode_HuffmanTableWithMoreThan256Codes_IsRefusedAsCorrupt()
    {
        // Arrange: raise the count of 16-bit codes of the first table by 255.
        var data = TestImages.Jpeg(16, 16);
        var dht = IndexOfMarker(data, 0xC4);
        data[dht + 5 + 15] = 255;

        // Act
        var (_, error) = CorruptInputTests.Attempt(_fast, data);

        // Assert
        Assert.That(error?.Error, Is.EqualTo(ImageDecodeError.Corrupt));
    }

    [Test]
    public void Decode_HugeRestartIntervalWithoutMarkers_DecodesAsWithout()
    {
        // Arrange: a DRI of 65535 MCUs before the scan; the image has fewer, so no marker is due.
        var data = TestImages.Jpeg(48, 32);
        var withDri = InsertBeforeScan(data, [0xFF, 0xDD, 0x00, 0x04, 0xFF, 0xFF]);
        using var expected = _fast.Decode(data);

        // Act
        using var luma = _fast.Decode(withDri);

        // Assert
        Assert.That(luma.Pixels.ToArray(), Is.EqualTo(expected.Pixels.ToArray()));
    }

    [Test]
    public void Decode_RestartIntervalWhoseMarkersAreMissing_IsRefusedAsCorrupt()
    {
        // Arrange: a DRI of 1 MCU, but the scan has no restart markers.
        var data = InsertBeforeScan(TestImages.Jpeg(48, 32), [0xFF, 0xDD, 0x00, 0x04, 0x00, 0x01]);

        // Act
        var (_, error) = CorruptInputTests.Attempt(_fast, data);

        // Assert
        Assert.That(error?.Error, Is.EqualTo(ImageDecodeError.Corrupt));
    }

    [Test]
    public void Decode_RestartMarkerOutOfOrder_IsRefusedAsCorrupt()
    {
        // Arrange: swap the number of the first restart marker of a real file.
        var data = File.ReadAllBytes(Path.Combine(PdqTestData.Folder(), "pdq-data/bridge-mods/square-128x128.jpg"));
        var scan = ScanDataStart(data);
        var rst = data.AsSpan(scan).IndexOf([(byte)0xFF, (byte)0xD0]) + scan;
        data[rst + 1] = 0xD3;

        // Act
        var (_, error) = CorruptInputTests.Attempt(_fast, data);

        // Assert
        Assert.That(error?.Error, Is.EqualTo(ImageDecodeError.Corrupt));
    }

    [Test]
    public void Decode_JpegClaimingHugeSize_IsRefusedAsTooLargeBeforeAnyPixelBuffer()
    {
        // Arrange
        var data = TestImages.Jpeg(16, 16);
        var sof = IndexOfMarker(data, 0xC0);
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(sof + 5), 65_000);
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(sof + 7), 65_000);
        _fast.Allocator.ResetPeak();

        // Act
        var (_, error) = CorruptInputTests.Attempt(_fast, data);

        // Assert
        Assert.That(JpegLumaDecoder.TryReadFrame(data), Is.Not.Null);
        Assert.That(error?.Error, Is.EqualTo(ImageDecodeError.TooLarge));
        Assert.That(_fast.Allocator.PeakBytes, Is.LessThan(1024 * 1024));
    }

    /// <summary>Discs of random colour, radius and place painted over one another.</summary>
    private static Image<Rgba32> DeadLeaves(int width, int height)
    {
        var random = new Random(11);
        var image = new Image<Rgba32>(width, height, new Rgba32(128, 128, 128));
        for (var disc = 0; disc < 400; disc++)
        {
            var radius = (int)(Math.Min(width, height) * 0.4 * Math.Pow(random.NextDouble(), 2)) + 2;
            var (cx, cy) = (random.Next(width), random.Next(height));
            var colour = new Rgba32((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
            for (var y = Math.Max(0, cy - radius); y < Math.Min(height, cy + radius); y++)
            {
                for (var x = Math.Max(0, cx - radius); x < Math.Min(width, cx + radius); x++)
                {
                    if (((x - cx) * (x - cx)) + ((y - cy) * (y - cy)) < radius * radius)
                    {
                        image[x, y] = colour;
                    }
                }
            }
        }

        return image;
    }

    /// <summary>Gradients and stripes with a little noise, every channel well inside 0..255.</summary>
    private static Image<Rgb24> Unsaturated(int width, int height)
    {
        var random = new Random(3);
        var image = new Image<Rgb24>(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                image[x, y] = new Rgb24(
                    (byte)(40 + (x * 170 / width)),
                    (byte)(40 + (y * 170 / height)),
                    (byte)(60 + ((x + y) / 8 % 2 * 60) + random.Next(16)));
            }
        }

        return image;
    }

    [TestCase("s422")]
    [TestCase("s440")]
    [TestCase("s411")]
    [TestCase("s420-optimized-restart")]
    [TestCase("s444-restart3")]
    [TestCase("s420-separate-scans")]
    [TestCase("grey")]
    public void Decode_LibjpegTurboFixture_EqualsLumaOfDjpegFloatOutput(string name)
    {
        // Arrange: the oracle is libjpeg-turbo 2.1.5's own decode (djpeg -dct float), as the
        // reference's ImageMagick makes it, weighed with the BT.601 floats (TestData/Jpeg/README.md).
        var data = File.ReadAllBytes(Fixture(name + ".jpg"));
        var expected = LumaOfPnm(File.ReadAllBytes(Fixture(name + ".pnm")), out var width, out var height);
        Assert.That(JpegLumaDecoder.TryReadFrame(data), Is.Not.Null, "the file must take the fast path");

        // Act
        using var luma = _fast.Decode(data);

        // Assert: identical, pixel for pixel.
        Assert.That((luma.Width, luma.Height), Is.EqualTo((width, height)));
        Assert.That(luma.Pixels.ToArray(), Is.EqualTo(expected));
    }

    [TestCase("progressive")]
    [TestCase("arithmetic")]
    [TestCase("rgb")]
    public void Decode_LibjpegTurboFixtureOutsideTheFastPath_TakesTheImageSharpPathUnchanged(string name)
    {
        // Arrange
        var data = File.ReadAllBytes(Fixture(name + ".jpg"));

        // Act
        var (withFastPath, error) = CorruptInputTests.Attempt(_fast, data);
        var (without, errorWithout) = CorruptInputTests.Attempt(_oracle, data);

        // Assert: the same pixels, or the same refusal (ImageSharp 2.1 has no arithmetic decoding).
        Assert.That(JpegLumaDecoder.TryReadFrame(data), Is.Null);
        Assert.That(withFastPath, Is.EqualTo(without));
        Assert.That(error?.Error, Is.EqualTo(errorWithout?.Error));
    }

    [Test]
    public void Transform_RandomBlocks_VectorAndPortableVersionsAgree()
    {
        // Arrange: the AVX2 transform must give exactly what the portable one gives.
        Assume.That(System.Runtime.Intrinsics.X86.Avx2.IsSupported, "AVX2 is needed to compare the two");
        var random = new Random(5);
        var quant = Enumerable.Range(0, 64).Select(i => 1 + (i % 13)).ToArray();
        var multipliers = new float[64];
        JpegFloatIdct.Multipliers(quant, multipliers);
        var vector = new int[64];
        var portable = new int[64];

        for (var run = 0; run < 2000; run++)
        {
            var coefficients = new int[64];
            for (var i = random.Next(1, 64); i > 0; i--)
            {
                coefficients[random.Next(64)] = random.Next(-300, 300);
            }

            // Act
            JpegFloatIdct.TransformAvx2(coefficients, multipliers, vector);
            JpegFloatIdct.TransformPortable(coefficients, multipliers, portable);

            // Assert
            Assert.That(vector, Is.EqualTo(portable), $"run {run}");
        }
    }

    [Test]
    public void Transform_RandomBlocksWithinTopLeft4x4_ShortPathMatchesPortableTransform()
    {
        // Arrange: blocks whose coefficients lie in rows and columns 0..3 take the 4x4 path,
        // which leaves the zero terms out; it must give exactly what the full transform gives.
        var random = new Random(11);
        var quant = Enumerable.Range(0, 64).Select(i => 1 + (i % 13)).ToArray();
        var multipliers = new float[64];
        JpegFloatIdct.Multipliers(quant, multipliers);
        var shortPath = new int[64];
        var portable = new int[64];

        for (var run = 0; run < 5000; run++)
        {
            var coefficients = new int[64];
            var mask = 0;
            for (var i = random.Next(1, 16); i > 0; i--)
            {
                var index = (random.Next(4) * 8) + random.Next(4);
                coefficients[index] = random.Next(-1000, 1000);
                mask |= index;
            }

            // Act
            JpegFloatIdct.Transform(coefficients, mask, multipliers, shortPath);
            JpegFloatIdct.TransformPortable(coefficients, multipliers, portable);

            // Assert
            Assert.That(mask & JpegFloatIdct.Outside4x4, Is.Zero);
            Assert.That(shortPath, Is.EqualTo(portable), $"run {run}");
        }
    }

    [Test]
    public void Transform_RandomBlocksIntoEveryOutput_MatchesPortableTransform()
    {
        // Arrange: the 16-bit (chroma plane) and float (luminance) outputs must hold the samples
        // of the portable transform, on full blocks, 4x4 blocks, and blocks whose outputs pass the
        // range of int (a hostile DC sum with a 16-bit quantisation table), which must clamp
        // like any other.
        var random = new Random(23);
        var quant = Enumerable.Range(0, 64).Select(i => 1 + (i % 13)).ToArray();
        var multipliers = new float[64];
        JpegFloatIdct.Multipliers(quant, multipliers);
        var hugeMultipliers = new float[64];
        JpegFloatIdct.Multipliers(Enumerable.Repeat(65535, 64).ToArray(), hugeMultipliers);
        const int Stride = 24;
        var shorts = new short[(7 * Stride) + 8];
        var floats = new float[(7 * Stride) + 8];
        var portable = new int[64];

        for (var run = 0; run < 6000; run++)
        {
            var coefficients = new int[64];
            var mask = 0;
            var inside4x4 = run % 3 == 1;
            var huge = run % 3 == 2;
            for (var i = random.Next(1, inside4x4 ? 16 : 64); i > 0; i--)
            {
                var index = inside4x4 ? (random.Next(4) * 8) + random.Next(4) : random.Next(64);
                coefficients[index] = huge ? random.Next(-40_000_000, 40_000_000) : random.Next(-1000, 1000);
                mask |= index;
            }

            if (mask == 0)
            {
                continue; // a lone DC term takes the flat path, not the transform
            }

            var blockMultipliers = huge ? hugeMultipliers : multipliers;

            // Act
            JpegFloatIdct.Transform(coefficients, mask, blockMultipliers, shorts, Stride);
            JpegFloatIdct.TransformToLuma(coefficients, mask, blockMultipliers, floats, Stride);
            JpegFloatIdct.TransformPortable(coefficients, blockMultipliers, portable);

            // Assert
            for (var i = 0; i < 64; i++)
            {
                var at = ((i / 8) * Stride) + (i % 8);
                if (shorts[at] != portable[i] || floats[at] != portable[i])
                {
                    Assert.Fail($"run {run}, sample {i}: 16-bit {shorts[at]}, float {floats[at]}, portable {portable[i]}");
                }
            }
        }
    }

    [Test]
    public void Flat_DcSumPastTheRangeOfInt_ClampsLikeTheTransform()
    {
        // Arrange: a DC term whose product passes int.MaxValue; the old integer rule wrapped
        // round(x) + 128 around to a negative value and clamped it to 0, against 255 from the
        // float path.
        const int Dc = 2_000_000_000;

        // Act
        var positive = JpegFloatIdct.Flat(Dc, 100f);
        var negative = JpegFloatIdct.Flat(-Dc, 100f);

        // Assert
        Assert.That((positive, negative), Is.EqualTo((255, 0)));
    }

    [Test]
    public void ConvertRow_EveryYCbCr_MatchesLibjpegIntegerEquations()
    {
        // Arrange: all 2^24 (Y, Cb, Cr), a row of every (Cb, Cr) pair per Y. The oracle is
        // jdcolor.c written out with its table constants (FIX(x) = round(x * 2^16), round half up,
        // then clamp), weighed the way Luminance weighs a pixel.
        const int Pairs = 256 * 256;
        var cb = new short[Pairs];
        var cr = new short[Pairs];
        for (var i = 0; i < Pairs; i++)
        {
            cb[i] = (short)(i >> 8);
            cr[i] = (short)(i & 255);
        }

        var row = new float[Pairs];
        for (var y = 0; y < 256; y++)
        {
            Array.Fill(row, y);

            // Act
            JpegColour.ConvertRow(row, cb, cr);

            // Assert (compared in a loop: one Assert per pixel would take minutes)
            for (var i = 0; i < Pairs; i++)
            {
                int blue = cb[i] - 128, red = cr[i] - 128;
                var r = Math.Clamp(y + (((91881 * red) + 32768) >> 16), 0, 255);
                var g = Math.Clamp(y + (((-22554 * blue) + (-46802 * red) + 32768) >> 16), 0, 255);
                var b = Math.Clamp(y + (((116130 * blue) + 32768) >> 16), 0, 255);
                var expected = Luminance.RedWeight * r + Luminance.GreenWeight * g + Luminance.BlueWeight * b;
                if (BitConverter.SingleToInt32Bits(row[i]) != BitConverter.SingleToInt32Bits(expected))
                {
                    Assert.Fail($"Y {y}, Cb {cb[i]}, Cr {cr[i]}: {row[i]} instead of {expected}");
                }
            }
        }
    }

    [Test]
    public void Decode_FastPathSlowerThanTheTimeBudget_IsRefusedAsTooComplex()
    {
        // Arrange
        var decoder = new ImageDecoder(new ImageLimits { DecodeTimeout = TimeSpan.FromTicks(1) });
        var data = TestImages.Jpeg(64, 48);
        Assert.That(JpegLumaDecoder.TryReadFrame(data), Is.Not.Null);

        // Act
        var (_, error) = CorruptInputTests.Attempt(decoder, data);

        // Assert
        Assert.That(error?.Error, Is.EqualTo(ImageDecodeError.TooComplex));
        Assert.That(decoder.OutstandingBuffers, Is.Zero);
    }

    [Test]
    public void Decode_MissingQuantisationTable_IsRefusedAsCorrupt()
    {
        // Arrange: point the luma component at table 3, which the file does not define.
        var data = TestImages.Jpeg(32, 32);
        var sof = IndexOfMarker(data, 0xC0);
        data[sof + 12] = 3;

        // Act
        var (_, error) = CorruptInputTests.Attempt(_fast, data);

        // Assert
        Assert.That(error?.Error, Is.EqualTo(ImageDecodeError.Corrupt));
    }

    private static string Fixture(string file)
    {
        for (var directory = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "tests", "HashForum.Imaging.Tests", "TestData", "Jpeg", file);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        Assert.Fail($"fixture {file} not found above {TestContext.CurrentContext.TestDirectory}");
        return string.Empty;
    }

    /// <summary>Luminance of a binary PPM (P6, BT.601 floats) or PGM (P5, grey as is) with maxval 255.</summary>
    private static float[] LumaOfPnm(byte[] pnm, out int width, out int height)
    {
        var position = 0;
        string Token()
        {
            while (char.IsWhiteSpace((char)pnm[position]))
            {
                position++;
            }

            var start = position;
            while (!char.IsWhiteSpace((char)pnm[position]))
            {
                position++;
            }

            return System.Text.Encoding.ASCII.GetString(pnm, start, position - start);
        }

        var magic = Token();
        width = int.Parse(Token(), System.Globalization.CultureInfo.InvariantCulture);
        height = int.Parse(Token(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(Token(), Is.EqualTo("255"));
        position++;
        var luma = new float[width * height];
        if (magic == "P6")
        {
            Luminance.FromRgb24(pnm.AsSpan(position, luma.Length * 3), luma);
        }
        else
        {
            Assert.That(magic, Is.EqualTo("P5"));
            for (var i = 0; i < luma.Length; i++)
            {
                luma[i] = pnm[position + i];
            }
        }

        return luma;
    }

    private static (float Max, double Mean) Difference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.That(a.Length, Is.EqualTo(b.Length));
        var max = 0f;
        double sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            var d = Math.Abs(a[i] - b[i]);
            max = Math.Max(max, d);
            sum += d;
        }

        return (max, sum / a.Length);
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

    private static int ScanDataStart(byte[] data)
    {
        var sos = IndexOfMarker(data, 0xDA);
        return sos + 2 + BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(sos + 2));
    }

    private static byte[] InsertBeforeScan(byte[] data, byte[] segment)
    {
        var sos = IndexOfMarker(data, 0xDA);
        return [.. data.AsSpan(0, sos), .. segment, .. data.AsSpan(sos)];
    }
}
