using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Pbm;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tga;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.Metadata.Profiles.Icc;
using SixLabors.ImageSharp.PixelFormats;

namespace HashForum.Imaging.Tests.Internal;

/// <summary>
/// Proves the claims on which Directory.Build.props suppresses the 2026 ImageSharp 2.1.13
/// advisories: no TIFF or BMP decoder is reachable, nothing can be encoded, ICC profiles are not
/// parsed.
/// </summary>
public sealed class DecoderConfigurationTests
{
    private static readonly IImageFormat[] _accepted = [JpegFormat.Instance, PngFormat.Instance, GifFormat.Instance, WebpFormat.Instance];

    private static readonly IImageFormat[] _refused = [BmpFormat.Instance, TiffFormat.Instance, TgaFormat.Instance, PbmFormat.Instance];

    [Test]
    public void Configuration_Formats_AreExactlyJpegPngGifWebp()
    {
        // Arrange
        var configuration = new ImageDecoder().Configuration;

        // Act
        var formats = configuration.ImageFormats.ToArray();

        // Assert
        Assert.That(formats, Is.EquivalentTo(_accepted));
        Assert.That(configuration, Is.Not.SameAs(Configuration.Default));
    }

    [Test]
    public void Configuration_RefusedFormats_HaveNoDecoder()
    {
        // Arrange
        var configuration = new ImageDecoder().Configuration;

        // Act, Assert
        foreach (var format in _refused)
        {
            Assert.That(configuration.ImageFormatsManager.FindDecoder(format), Is.Null, format.Name);
        }
    }

    [Test]
    public void Configuration_AnyFormat_HasNoEncoder()
    {
        // Arrange
        var configuration = new ImageDecoder().Configuration;

        // Act, Assert
        foreach (var format in _accepted.Concat(_refused))
        {
            Assert.That(configuration.ImageFormatsManager.FindEncoder(format), Is.Null, format.Name);
        }
    }

    [Test]
    public void Configuration_EveryDecoder_IgnoresMetadata()
    {
        // Arrange
        var decoders = new ImageDecoder().Decoders;

        // Act, Assert
        Assert.That(decoders.Jpeg.IgnoreMetadata, Is.True);
        Assert.That(decoders.Png.IgnoreMetadata, Is.True);
        Assert.That(decoders.Gif.IgnoreMetadata, Is.True);
        Assert.That(decoders.Webp.IgnoreMetadata, Is.True);
        Assert.That(decoders.Gif.DecodingMode, Is.EqualTo(FrameDecodingMode.First));
        Assert.That(decoders.Configuration.ImageFormatsManager.FindDecoder(JpegFormat.Instance), Is.SameAs(decoders.Jpeg));
        Assert.That(decoders.Configuration.ImageFormatsManager.FindDecoder(PngFormat.Instance), Is.SameAs(decoders.Png));
        Assert.That(decoders.Configuration.ImageFormatsManager.FindDecoder(GifFormat.Instance), Is.SameAs(decoders.Gif));
        Assert.That(decoders.Configuration.ImageFormatsManager.FindDecoder(WebpFormat.Instance), Is.SameAs(decoders.Webp));
    }

    [Test]
    public void Configuration_ThroughImageLoad_CannotReachATiffOrBmpDecoder()
    {
        // Arrange: even a caller that bypasses ImageDecoder and uses the configuration directly.
        var configuration = new ImageDecoder().Configuration;
        using var image = TestImages.Noise(8, 8);
        var tiff = TestImages.Encode(image, new TiffEncoder());
        var bmp = TestImages.Encode(image, new BmpEncoder());

        // Act, Assert
        Assert.Throws<UnknownImageFormatException>(() => Image.Load(configuration, tiff));
        Assert.Throws<UnknownImageFormatException>(() => Image.Load(configuration, bmp));
    }

    [Test]
    public void Decode_RefusedFormats_AreUnsupportedWithAClearMessage()
    {
        // Arrange
        using var image = TestImages.Noise(8, 8);
        var cases = new (byte[] Data, string Name)[]
        {
            (TestImages.Encode(image, new BmpEncoder()), "BMP"),
            (TestImages.Encode(image, new TiffEncoder()), "TIFF"),
            (TestImages.Encode(image, new TiffEncoder { Compression = SixLabors.ImageSharp.Formats.Tiff.Constants.TiffCompression.Lzw }), "TIFF"),
            (TestImages.Encode(image, new PbmEncoder()), "PBM/PGM/PPM"),
            (TestImages.Encode(image, new TgaEncoder()), "JPEG, PNG, GIF or WebP"),
            ("just some text, not an image"u8.ToArray(), "JPEG, PNG, GIF or WebP"),
        };
        var decoder = new ImageDecoder();

        foreach (var (data, name) in cases)
        {
            // Act
            var exception = Assert.Throws<ImageDecodeException>(() => decoder.Decode(data).Dispose());

            // Assert
            Assert.That(exception!.Error, Is.EqualTo(ImageDecodeError.UnsupportedFormat), name);
            Assert.That(exception.Message, Does.Contain(name));
            CorruptInputTests.AssertFitForCallers(exception);
        }

        Assert.That(decoder.OutstandingBuffers, Is.Zero);
    }

    [Test]
    public void Decode_JpegWithIccProfile_DecodesWithoutParsingTheProfile()
    {
        // Arrange: a JPEG carrying a valid ICC profile, which ImageSharp's default decoder parses.
        var data = JpegWithIccProfile();
        using (var control = Image.Load(data))
        {
            Assert.That(control.Metadata.IccProfile, Is.Not.Null, "the control decode should see the profile");
        }

        var decoder = new ImageDecoder();

        // Act
        using var ours = decoder.Decoders.Jpeg.Decode<Rgb24>(decoder.Configuration, new MemoryStream(data), CancellationToken.None);
        using var luma = decoder.Decode(data);

        // Assert
        Assert.That(ours.Metadata.IccProfile, Is.Null);
        Assert.That((luma.Width, luma.Height), Is.EqualTo((16, 16)));
    }

    [Test]
    public void Decode_WebpWithIccChunk_DecodesWithoutParsingTheProfile()
    {
        // Arrange: a VP8X WebP with an ICCP chunk before its lossless image.
        var data = WebpWithIccProfile();
        using (var control = Image.Load(data))
        {
            Assert.That(control.Metadata.IccProfile, Is.Not.Null, "the control decode should see the profile");
        }

        var decoder = new ImageDecoder();

        // Act
        using var ours = decoder.Decoders.Webp.Decode<Rgb24>(decoder.Configuration, new MemoryStream(data), CancellationToken.None);
        using var luma = decoder.Decode(data);

        // Assert
        Assert.That(ours.Metadata.IccProfile, Is.Null);
        Assert.That((luma.Width, luma.Height), Is.EqualTo((16, 16)));
    }

    [Test]
    public void Decode_JpegWithMalformedIccSegment_Decodes()
    {
        // Arrange: an APP2 ICC segment full of garbage; were it parsed, it could only do harm.
        var clean = TestImages.Jpeg(16, 16);
        byte[] app2 = [0xFF, 0xE2, 0x00, 0x40, .. "ICC_PROFILE\0"u8, 1, 1, .. Enumerable.Repeat((byte)0xA5, 0x40 - 16)];
        byte[] data = [.. clean.AsSpan(0, 2), .. app2, .. clean.AsSpan(2)];
        var decoder = new ImageDecoder();

        // Act
        using var luma = decoder.Decode(data);

        // Assert
        Assert.That((luma.Width, luma.Height), Is.EqualTo((16, 16)));
    }

    /// <summary>The smallest profile ImageSharp accepts as valid: a 128-byte header and no tags.</summary>
    private static byte[] MinimalIccProfile()
    {
        var profile = new byte[132];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(profile, (uint)profile.Length);
        profile[8] = 2; // version 2
        "mntr"u8.CopyTo(profile.AsSpan(12));
        "RGB "u8.CopyTo(profile.AsSpan(16));
        "XYZ "u8.CopyTo(profile.AsSpan(20));
        "acsp"u8.CopyTo(profile.AsSpan(36));
        return profile;
    }

    private static byte[] JpegWithIccProfile()
    {
        using var image = TestImages.Noise(16, 16);
        image.Metadata.IccProfile = new IccProfile(MinimalIccProfile());
        return TestImages.Encode(image, new JpegEncoder { Quality = 90 });
    }

    private static byte[] WebpWithIccProfile()
    {
        var lossless = TestImages.WebpLossless(16, 16);
        var vp8l = lossless.AsSpan(12).ToArray(); // the VP8L chunk, header included
        var icc = MinimalIccProfile();
        byte[] vp8x = [.. "VP8X"u8, 10, 0, 0, 0, 0x20, 0, 0, 0, 15, 0, 0, 15, 0, 0];
        byte[] iccp = [.. "ICCP"u8, .. BitConverter.GetBytes(icc.Length), .. icc];
        byte[] body = [.. "WEBP"u8, .. vp8x, .. iccp, .. vp8l];
        return [.. "RIFF"u8, .. BitConverter.GetBytes(body.Length), .. body];
    }
}
