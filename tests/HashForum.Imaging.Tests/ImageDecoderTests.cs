namespace HashForum.Imaging.Tests;

public sealed class ImageDecoderTests
{
    [TestCaseSource(typeof(TestImages), nameof(TestImages.EachFormat))]
    public void Decode_EachFormat_ReturnsItsPixels(string format, byte[] data)
    {
        // Arrange
        var decoder = new ImageDecoder();

        // Act
        using (var luma = decoder.Decode(data))
        {
            // Assert
            Assert.That(luma.Format, Is.EqualTo(format));
            Assert.That(luma.Width, Is.EqualTo(48));
            Assert.That(luma.Height, Is.EqualTo(32));
            Assert.That(luma.Pixels.Length, Is.EqualTo(48 * 32));
            Assert.That(decoder.OutstandingBuffers, Is.EqualTo(1));
        }

        Assert.That(decoder.OutstandingBuffers, Is.Zero);
        Assert.That(decoder.Allocator.ReclaimedBuffers, Is.Zero);
    }
}
