using System.Numerics;
using HashForum.Index.Internal;

namespace HashForum.Index.Tests;

[TestFixture]
public sealed class PrefixVariantsTests
{
    [TestCase(1, 0)]
    [TestCase(1, 2)]
    [TestCase(5, 3)]
    [TestCase(16, 1)]
    [TestCase(17, 2)]
    [TestCase(12, 5)]
    public void Fill_AnyPrefix_YieldsEachValueWithinThresholdOnceWithItsBudget(int bits, int threshold)
    {
        // Arrange
        var prefix = 0x2B5u & ((1u << bits) - 1);
        var variants = new PrefixVariants(prefix, bits, threshold);
        var batch = new uint[13];
        var budgets = new int[13];
        var seen = new Dictionary<uint, int>();

        // Act
        int n;
        while ((n = variants.Fill(batch, budgets)) > 0)
        {
            for (var i = 0; i < n; i++)
            {
                seen.Add(batch[i], budgets[i]);
            }
        }

        // Assert
        var expected = Enumerable.Range(0, 1 << bits).Select(v => (uint)v)
            .Where(v => BitOperations.PopCount(v ^ prefix) <= threshold)
            .ToDictionary(v => v, v => threshold - BitOperations.PopCount(v ^ prefix));
        Assert.That(seen, Is.EquivalentTo(expected));
    }

    [TestCase(11, 31)]
    [TestCase(11, 0)]
    [TestCase(11, 63)]
    [TestCase(16, 31)]
    [TestCase(16, 1)]
    [TestCase(13, 47)]
    public void Thresholds_AnyRadius_SumToRadiusPlusOneUnits(int chunks, int radius)
    {
        // Arrange
        var layout = ChunkLayout.Even(chunks);
        var thresholds = new int[layout.Count];

        // Act
        layout.Thresholds(radius, thresholds);

        // Assert: the generalised pigeonhole condition, sum(t + 1) = r + 1, with no t below -1.
        Assert.That(thresholds.Sum(t => t + 1), Is.EqualTo(radius + 1));
        Assert.That(thresholds.Min(), Is.GreaterThanOrEqualTo(-1));
        Assert.That(layout.Widths.Sum(), Is.EqualTo(256));
    }
}
