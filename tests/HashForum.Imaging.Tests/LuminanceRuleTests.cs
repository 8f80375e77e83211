using System.Runtime.InteropServices;
using HashForum.Hashing.Pdq;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;

namespace HashForum.Imaging.Tests;

/// <summary>
/// The rules that decide whether our hashes match the reference bit for bit: which pixels are
/// weighted as RGB, which are used as grey, what happens to alpha.
/// </summary>
public sealed class LuminanceRuleTests
{
    private ImageDecoder _decoder = null!;

    [SetUp]
    public void SetUp() => _decoder = new ImageDecoder();

    [TearDown]
    public void TearDown() => Assert.That(_decoder.OutstandingBuffers, Is.Zero, "pooled buffers not returned");

    [Test]
    public void Decode_RgbPng_WeighsEachPixelWithBt601()
    {
        // Arrange
        using var source = TestImages.Noise(37, 23);
        var data = TestImages.Encode(source, new PngEncoder { ColorType = PngColorType.Rgb });

        // Act
        using var luma = _decoder.Decode(data);

        // Assert
        Assert.That(luma.Pixels.ToArray(), Is.EqualTo(ExpectedFromRgb(source)));
        Assert.That(luma.FromGrey, Is.False);
    }

    [Test]
    public void Decode_RgbaPngWithTransparentPixels_DropsAlphaWithoutCompositing()
    {
        // Arrange: every pixel has some alpha, many are fully transparent.
        using var source = TestImages.Noise(32, 16);
        for (var x = 0; x < 32; x++)
        {
            var pixel = source[x, 3];
            pixel.A = 0;
            source[x, 3] = pixel;
        }

        var data = TestImages.Encode(source, new PngEncoder { ColorType = PngColorType.RgbWithAlpha });

        // Act
        using var luma = _decoder.Decode(data);

        // Assert
        Assert.That(luma.Pixels.ToArray(), Is.EqualTo(ExpectedFromRgb(source)));
    }

    [Test]
    public void Decode_LosslessWebpWithAlpha_DropsAlphaWithoutCompositing()
    {
        // Arrange
        using var source = TestImages.Noise(20, 20);
        var data = TestImages.Encode(source, new WebpEncoder { FileFormat = WebpFileFormatType.Lossless, TransparentColorMode = WebpTransparentColorMode.Preserve });

        // Act
        using var luma = _decoder.Decode(data);

        // Assert
        Assert.That(luma.Pixels.ToArray(), Is.EqualTo(ExpectedFromRgb(source)));
    }

    [TestCase(PngColorType.Grayscale, PngBitDepth.Bit8)]
    [TestCase(PngColorType.GrayscaleWithAlpha, PngBitDepth.Bit8)]
    [TestCase(PngColorType.Grayscale, PngBitDepth.Bit4)]
    public void Decode_GreyPng_UsesTheGreySamplesAsIs(PngColorType colorType, PngBitDepth bitDepth)
    {
        // Arrange
        var data = TestImages.Png(40, 30, colorType, bitDepth);
        using var reference = Image.Load<L8>(data);

        // Act
        using var luma = _decoder.Decode(data);

        // Assert: exactly the stored grey, not 0.299 g + 0.587 g + 0.114 g (which differs in float).
        Assert.That(luma.Pixels.ToArray(), Is.EqualTo(GreyValues(reference)));
        Assert.That(luma.FromGrey, Is.True);
    }

    [TestCase(PngColorType.Grayscale)]
    [TestCase(PngColorType.GrayscaleWithAlpha)]
    public void Decode_SixteenBitGreyPng_ScalesToEightBits(PngColorType colorType)
    {
        // Arrange: samples whose low bytes differ from their high bytes, so that scaling and
        // taking the low byte (the reference's quirk, not copied) give different answers.
        using var source = new Image<L16>(16, 16);
        for (var y = 0; y < 16; y++)
        {
            for (var x = 0; x < 16; x++)
            {
                source[x, y] = new L16((ushort)((((y * 16) + x) * 257) + 91));
            }
        }

        var data = TestImages.Encode(source, new PngEncoder { ColorType = colorType, BitDepth = PngBitDepth.Bit16 });

        // Act
        using var luma = _decoder.Decode(data);

        // Assert: round(v * 255 / 65535), ImageSharp's scaling.
        var expected = new float[256];
        for (var i = 0; i < 256; i++)
        {
            var value = source[i % 16, i / 16].PackedValue;
            expected[i] = (float)Math.Round(value * 255.0 / 65535.0);
        }

        Assert.That(luma.Pixels.ToArray(), Is.EqualTo(expected));
        Assert.That(luma.FromGrey, Is.True);
    }

    [Test]
    public void Decode_PalettePng_UsesThePaletteColours()
    {
        // Arrange: four exact colours, so the palette holds them without change.
        using var source = new Image<Rgba32>(8, 8);
        Rgba32[] colours = [new(200, 10, 10), new(10, 200, 10), new(10, 10, 200), new(90, 91, 92)];
        for (var i = 0; i < 64; i++)
        {
            source[i % 8, i / 8] = colours[i % 4];
        }

        var data = TestImages.Encode(source, new PngEncoder { ColorType = PngColorType.Palette });

        // Act
        using var luma = _decoder.Decode(data);

        // Assert
        Assert.That(luma.Pixels.ToArray(), Is.EqualTo(ExpectedFromRgb(source)));
    }

    [Test]
    public void Decode_GreyscaleJpeg_UsesTheDecodedGreyAsIs()
    {
        // Arrange
        var data = TestImages.Jpeg(40, 24, JpegColorType.Luminance);
        using var reference = Image.Load<Rgb24>(data);

        // Act
        using var luma = _decoder.Decode(data);

        // Assert: the grey level each pixel decodes to, unweighted (whole numbers). Our JPEG path
        // uses libjpeg's integer IDCT and ImageSharp a float one, so a level may differ by one.
        var pixels = luma.Pixels.ToArray();
        for (var i = 0; i < pixels.Length; i++)
        {
            Assert.That(pixels[i], Is.EqualTo(MathF.Floor(pixels[i])).And.EqualTo((float)reference[i % 40, i / 40].R).Within(1f), $"pixel {i}");
        }

        Assert.That(luma.FromGrey, Is.True);
    }

    [Test]
    public void Decode_ColourPngWhosePixelsAreAllNeutral_UsesTheGreyAsIs()
    {
        // Arrange: an RGB file holding a grey picture, as ImageMagick (the reference's decoder) sees grey.
        using var source = new Image<Rgb24>(16, 16);
        for (var i = 0; i < 256; i++)
        {
            source[i % 16, i / 16] = new Rgb24((byte)i, (byte)i, (byte)i);
        }

        var data = TestImages.Encode(source, new PngEncoder { ColorType = PngColorType.Rgb });

        // Act
        using var luma = _decoder.Decode(data);

        // Assert
        Assert.That(luma.Pixels.ToArray(), Is.EqualTo(Enumerable.Range(0, 256).Select(i => (float)i)));
        Assert.That(luma.FromGrey, Is.True);
    }

    [Test]
    public void Decode_ColourPngWithOneColouredPixel_WeighsEveryPixel()
    {
        // Arrange: grey except one pixel, so the image is colour and grey pixels are weighted too.
        using var source = new Image<Rgb24>(16, 16);
        for (var i = 0; i < 256; i++)
        {
            source[i % 16, i / 16] = new Rgb24((byte)i, (byte)i, (byte)i);
        }

        source[5, 5] = new Rgb24(1, 2, 3);
        var data = TestImages.Encode(source, new PngEncoder { ColorType = PngColorType.Rgb });

        // Act
        using var luma = _decoder.Decode(data);

        // Assert
        Assert.That(luma.Pixels.ToArray(), Is.EqualTo(ExpectedFromRgb(source)));
        Assert.That(luma.FromGrey, Is.False);
    }

    [Test]
    public void Decode_JpegWithExifOrientation_KeepsTheStoredPixelOrder()
    {
        // Arrange: orientation 6 (rotate 90) would swap width and height if it were applied.
        using var source = TestImages.Noise(40, 20);
        source.Metadata.ExifProfile = new ExifProfile();
        source.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6);
        var data = TestImages.Encode(source, new JpegEncoder { Quality = 90 });

        // Act
        using var luma = _decoder.Decode(data);

        // Assert
        Assert.That((luma.Width, luma.Height), Is.EqualTo((40, 20)));
    }

    [Test]
    public void Decode_CmykJpeg_DecodesThroughImageSharpsConversion()
    {
        // Arrange: a real 4-component file (ImageSharp 2.1's encoder writes YCbCr when asked for CMYK).
        var data = File.ReadAllBytes(Path.Combine(PdqTestData.Folder(), "pdq-data/misc-images/modes/CMYK.jpg"));
        using var reference = Image.Load<Rgb24>(data);

        // Act
        using var luma = _decoder.Decode(data);

        // Assert
        Assert.That(luma.Pixels.ToArray(), Is.EqualTo(ExpectedFromRgb(reference)));
    }

    [Test]
    public void Decode_AnimatedGif_ReturnsTheFirstFrameOnly()
    {
        // Arrange: a red first frame, then blue ones.
        var data = AnimatedGif(frames: 3);

        // Act
        using var luma = _decoder.Decode(data);

        // Assert
        var red = Luminance.RedWeight * 255;
        Assert.That(luma.Pixels.ToArray(), Has.All.EqualTo(red));
    }

    [Test]
    public void Decode_GifWithTransparentIndex_UsesThePaletteColourOfTransparentPixels()
    {
        // Arrange: 2x1 pixels, palette [red, green], index 1 transparent; LZW codes clear, 0, 1, end
        // (3 bits each, packed from the low bit).
        byte[] data =
        [
            .. "GIF89a"u8, 2, 0, 1, 0, 0x80, 0, 0,
            255, 0, 0, 0, 255, 0,
            0x21, 0xF9, 4, 0x01, 0, 0, 1, 0,
            0x2C, 0, 0, 0, 0, 2, 0, 1, 0, 0,
            2, 2, 0x44, 0x0A, 0,
            0x3B,
        ];

        // Act
        using var luma = _decoder.Decode(data);

        // Assert: alpha dropped, not composited; the transparent pixel keeps its palette green.
        Assert.That(luma.Pixels.ToArray(), Is.EqualTo(new[] { Luminance.RedWeight * 255, Luminance.GreenWeight * 255 }));
    }

    [Test]
    public void Identify_EachFormat_ReportsFormatAndSize()
    {
        // Arrange
        var cases = new (byte[] Data, string Format)[]
        {
            (TestImages.Jpeg(30, 20), "jpeg"),
            (TestImages.Png(30, 20), "png"),
            (TestImages.Gif(30, 20), "gif"),
            (TestImages.WebpLossy(30, 20), "webp"),
        };

        foreach (var (data, format) in cases)
        {
            // Act
            var info = _decoder.Identify(data);

            // Assert
            Assert.That(info, Is.EqualTo(new ImageInfo(format, 30, 20)));
        }
    }

    internal static byte[] AnimatedGif(int frames)
    {
        using var image = new Image<Rgba32>(8, 8, new Rgba32(255, 0, 0));
        for (var i = 1; i < frames; i++)
        {
            using var frame = new Image<Rgba32>(8, 8, new Rgba32(0, 0, 255));
            image.Frames.AddFrame(frame.Frames.RootFrame);
        }

        return TestImages.Encode(image, new GifEncoder());
    }

    private static float[] ExpectedFromRgb<TPixel>(Image<TPixel> source)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        using var rgb = source.CloneAs<Rgb24>();
        var expected = new float[rgb.Width * rgb.Height];
        rgb.ProcessPixelRows(accessor =>
        {
            for (var y = 0; y < accessor.Height; y++)
            {
                Luminance.FromRgb24(MemoryMarshal.AsBytes(accessor.GetRowSpan(y)), expected.AsSpan(y * accessor.Width, accessor.Width));
            }
        });
        return expected;
    }

    private static float[] GreyValues(Image<L8> image)
    {
        var values = new float[image.Width * image.Height];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = image[i % image.Width, i / image.Width].PackedValue;
        }

        return values;
    }
}
