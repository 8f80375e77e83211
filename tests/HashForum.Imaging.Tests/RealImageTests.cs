namespace HashForum.Imaging.Tests;

/// <summary>Decodes the images the PDQ reference outputs were made from.</summary>
public sealed class RealImageTests
{
    [Test]
    public void Decode_EveryReferenceImage_HasTheReferenceSizeAndChannelKind()
    {
        // Arrange
        var folder = PdqTestData.Folder();
        var rows = PdqTestData.FullResolutionReference(folder);
        var decoder = new ImageDecoder();
        Assert.That(rows, Has.Count.GreaterThan(40));

        // Act, Assert
        Assert.Multiple(() =>
        {
            foreach (var (file, width, height, channels) in rows)
            {
                using var luma = decoder.Decode(File.ReadAllBytes(Path.Combine(folder, file)));
                Assert.That((luma.Width, luma.Height), Is.EqualTo((width, height)), file);

                // The reference sees one channel exactly when the file is grey; we must use the
                // grey samples as is in the same cases.
                Assert.That(luma.FromGrey, Is.EqualTo(channels == 1), file);
                Assert.That(luma.Format, Is.EqualTo(Path.GetExtension(file).TrimStart('.') switch { "jpg" => "jpeg", var e => e }), file);
            }
        });
        Assert.That(decoder.OutstandingBuffers, Is.Zero);
        Assert.That(decoder.Allocator.ReclaimedBuffers, Is.Zero);
    }

    [TestCase("pdq-data/misc-images/modes/L.png")]
    [TestCase("pdq-data/misc-images/modes/LA.png")]
    [TestCase("pdq-data/misc-images/modes/1.png")]
    [TestCase("pytx-resources/LA.png")]
    [TestCase("pytx-resources/I16.png")]
    [TestCase("pdq-data/reg-test-input/labelme-subset/q2821.jpg")]
    public void Decode_GreyImage_YieldsIntegralValues(string file)
    {
        // Arrange
        var data = File.ReadAllBytes(Path.Combine(PdqTestData.Folder(), file));
        var decoder = new ImageDecoder();

        // Act
        using var luma = decoder.Decode(data);

        // Assert
        var pixels = luma.Pixels.ToArray();
        Assert.That(pixels.Count(v => v != MathF.Floor(v) || v is < 0 or > 255), Is.Zero);
    }

    [Test]
    public void Decode_OneBitPng_YieldsOnlyBlackAndWhite()
    {
        // Arrange
        var data = File.ReadAllBytes(Path.Combine(PdqTestData.Folder(), "pdq-data/misc-images/modes/1.png"));
        var decoder = new ImageDecoder();

        // Act
        using var luma = decoder.Decode(data);

        // Assert
        Assert.That(luma.Pixels.ToArray().Distinct().Order(), Is.EqualTo(new[] { 0f, 255f }));
    }

    [Test]
    public void Decode_ExifRotatedJpeg_KeepsTheStoredPixelOrder()
    {
        // Arrange: orientation 6 would swap the sides if it were applied.
        var data = File.ReadAllBytes(Path.Combine(PdqTestData.Folder(), "pdq-data/reg-test-input/exif-rotn/exif-rotn-6.jpg"));
        var decoder = new ImageDecoder();

        // Act
        using var luma = decoder.Decode(data);

        // Assert
        Assert.That((luma.Width, luma.Height), Is.EqualTo((4032, 3024)));
    }

    [Test]
    public void Decode_ColourVariantsOfOnePhoto_GiveNearlyTheSameLuminance()
    {
        // Arrange: the "modes" images are one photo saved in different colour modes.
        var folder = PdqTestData.Folder();
        var decoder = new ImageDecoder();
        using var rgb = decoder.Decode(File.ReadAllBytes(Path.Combine(folder, "pdq-data/misc-images/modes/RGB.jpg")));

        foreach (var file in new[] { "L.png", "LA.png", "CMYK.jpg", "YCbCr.jpg", "F.webp", "HSV.webp", "LAB.webp" })
        {
            // Act
            using var other = decoder.Decode(File.ReadAllBytes(Path.Combine(folder, "pdq-data/misc-images/modes", file)));

            // Assert: a few grey levels apart at most (lossy codecs, rounding). P.png and PA.webp are
            // left out: their 256-colour palette moves the luminance by about 10 levels.
            var a = rgb.Pixels;
            var b = other.Pixels;
            double sum = 0;
            for (var i = 0; i < a.Length; i++)
            {
                sum += Math.Abs(a[i] - b[i]);
            }

            TestContext.Out.WriteLine($"{file}: mean absolute difference {sum / a.Length:0.###}");
            Assert.That(sum / a.Length, Is.LessThan(6), file);
        }
    }
}
