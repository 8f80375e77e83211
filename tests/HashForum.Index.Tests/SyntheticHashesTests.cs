namespace HashForum.Index.Tests;

[TestFixture]
public sealed class SyntheticHashesTests
{
    [Test]
    public void Realistic_Always_HasExactly128OneBits()
    {
        // Arrange
        var random = new Random(1);

        // Act
        var counts = Enumerable.Range(0, 1000).Select(_ => SyntheticHashes.Realistic(random).PopCount).Distinct();

        // Assert
        Assert.That(counts, Is.EqualTo(new[] { 128 }));
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(31)]
    [TestCase(256)]
    public void FlipBits_Count_IsAtExactlyThatDistance(int count)
    {
        // Arrange
        var random = new Random(count);
        var hash = SyntheticHashes.Realistic(random);

        // Act
        var flipped = SyntheticHashes.FlipBits(hash, count, random);

        // Assert
        Assert.That(flipped.DistanceTo(hash), Is.EqualTo(count));
    }
}
