namespace HashForum.Imaging.Tests;

public sealed class ImageLimitsTests
{
    [Test]
    public void Defaults_AreTheDocumentedOnes()
    {
        // Act
        var limits = new ImageLimits();

        // Assert
        Assert.That(limits.MaxSide, Is.EqualTo(16384));
        Assert.That(limits.MaxPixels, Is.EqualTo(50_000_000));
        Assert.That(limits.MaxInputBytes, Is.EqualTo(32 * 1024 * 1024));
        Assert.That(ImageLimits.SectionName, Is.EqualTo("HashForum:Images"));
        Assert.DoesNotThrow(limits.Validate);
        Assert.That(limits.TryValidate(out var problem), Is.True);
        Assert.That(problem, Is.Null);
    }

    private static IEnumerable<TestCaseData> OutOfRange()
    {
        yield return new TestCaseData(new ImageLimits { MaxSide = 0 }).SetArgDisplayNames("MaxSide 0");
        yield return new TestCaseData(new ImageLimits { MaxPixels = 0 }).SetArgDisplayNames("MaxPixels 0");
        yield return new TestCaseData(new ImageLimits { MaxPixels = ImageLimits.MaxPixelsCeiling + 1 }).SetArgDisplayNames("MaxPixels over ceiling");
        yield return new TestCaseData(new ImageLimits { MaxInputBytes = 0 }).SetArgDisplayNames("MaxInputBytes 0");
        yield return new TestCaseData(new ImageLimits { MaxInputBytes = long.MaxValue }).SetArgDisplayNames("MaxInputBytes huge");
        yield return new TestCaseData(new ImageLimits { MaxDecodeMemoryBytes = 1000 }).SetArgDisplayNames("MaxDecodeMemoryBytes tiny");
        yield return new TestCaseData(new ImageLimits { MemoryPoolMegabytes = -1 }).SetArgDisplayNames("MemoryPoolMegabytes negative");
        yield return new TestCaseData(new ImageLimits { MaxJpegScans = 0 }).SetArgDisplayNames("MaxJpegScans 0");
        yield return new TestCaseData(new ImageLimits { DecodeTimeout = TimeSpan.Zero }).SetArgDisplayNames("DecodeTimeout 0");
    }

    [TestCaseSource(nameof(OutOfRange))]
    public void Validate_OutOfRange_Throws(ImageLimits limits)
    {
        // Act, Assert
        Assert.Throws<ArgumentOutOfRangeException>(limits.Validate);
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new ImageDecoder(limits));
        Assert.That(limits.TryValidate(out var problem), Is.False);
        Assert.That(problem, Does.StartWith("HashForum:Images: "));
    }

    [Test]
    public void ImageDecoder_LimitsChangedAfterConstruction_KeepsItsCopy()
    {
        // Arrange
        var limits = new ImageLimits { MaxSide = 1000 };
        var decoder = new ImageDecoder(limits);

        // Act
        limits.MaxSide = 10;
        using var luma = decoder.Decode(TestImages.Png(48, 32));

        // Assert
        Assert.That(luma.Width, Is.EqualTo(48));
    }
}
