namespace HashForum.Imaging.Tests;

public sealed class LumaImageTests
{
    [Test]
    public void Dispose_Twice_ReturnsTheBufferOnce()
    {
        // Arrange
        var decoder = new ImageDecoder();
        var luma = decoder.Decode(TestImages.Png());

        // Act
        luma.Dispose();
        luma.Dispose();

        // Assert
        Assert.That(decoder.OutstandingBuffers, Is.Zero);
        Assert.That(decoder.Allocator.OutstandingBytes, Is.Zero);
    }

    [Test]
    public void Pixels_AfterDispose_Throws()
    {
        // Arrange
        var decoder = new ImageDecoder();
        var luma = decoder.Decode(TestImages.Png());
        luma.Dispose();

        // Act, Assert
        Assert.Throws<ObjectDisposedException>(() => _ = luma.Pixels.Length);
    }

    [Test]
    public void Decode_ManyThreadsAtOnce_GivesTheSamePixelsAndReturnsEveryBuffer()
    {
        // Arrange: one decoder for the process, as the server uses it.
        var decoder = new ImageDecoder();
        var inputs = TestImages.EachFormat().Select(c => (byte[])c.Arguments[1]!).ToArray();
        var expected = inputs.Select(data =>
        {
            using var luma = decoder.Decode(data);
            return luma.Pixels.ToArray();
        }).ToArray();

        // Act
        var mismatches = 0;
        Parallel.For(0, 200, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var k = i % inputs.Length;
            using var luma = decoder.Decode(inputs[k]);
            if (!luma.Pixels.SequenceEqual(expected[k]))
            {
                Interlocked.Increment(ref mismatches);
            }
        });

        // Assert
        Assert.That(mismatches, Is.Zero);
        Assert.That(decoder.OutstandingBuffers, Is.Zero);
        Assert.That(decoder.Allocator.ReclaimedBuffers, Is.Zero);
    }
}
