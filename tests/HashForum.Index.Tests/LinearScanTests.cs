using HashForum.Hashing.Pdq;
using HashForum.Index.Internal;

namespace HashForum.Index.Tests;

[TestFixture]
public sealed class LinearScanTests
{
    [TestCase(0)]
    [TestCase(1)]
    [TestCase(3)]
    [TestCase(4)]
    [TestCase(1001)]
    public void Find_AnyLengthAndRadius_AgreesWithDistanceLoop(int length)
    {
        // Arrange: near and far hashes, lengths that leave 0..3 hashes after the 4-wide steps.
        var random = new Random(length);
        var query = SyntheticHashes.Realistic(random);
        var hashes = new Hash256[length];
        for (var i = 0; i < length; i++)
        {
            hashes[i] = SyntheticHashes.FlipBits(query, random.Next(257), random);
        }

        foreach (var radius in new[] { 0, 1, 31, 32, 63, 64, 128, 255, 256 })
        {
            // Act: a small buffer forces several resumed stretches.
            var found = new List<int>();
            var buffer = new int[7];
            var start = 0;
            while (start < length)
            {
                var n = LinearScan.Find(hashes, start, query, radius, buffer, out start);
                found.AddRange(buffer.AsSpan(0, n).ToArray());
            }

            // Assert
            var expected = Enumerable.Range(0, length).Where(i => Hash256.Distance(hashes[i], query) <= radius);
            Assert.That(found, Is.EqualTo(expected), $"radius {radius}");
        }
    }
}
