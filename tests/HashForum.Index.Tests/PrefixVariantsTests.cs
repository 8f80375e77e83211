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

    [TestCase(21, 2)]
    [TestCase(30, 3)]
    [TestCase(4, 3)]
    public void Fill_TabledThresholds_SameVariantsInSameOrderAsSmallBatches(int bits, int threshold)
    {
        // Arrange: masks of small thresholds come from a kept table; a second enumerator reuses it.
        var prefix = 0x15A5A5A5u & ((1u << bits) - 1);
        var first = Drain(new PrefixVariants(prefix, bits, threshold), 16);
        var second = Drain(new PrefixVariants(prefix, bits, threshold), 7);

        // Assert: nearest first, each within the threshold once, budgets right, and the same stream twice.
        Assert.That(second, Is.EqualTo(first));
        Assert.That(first.Select(v => v.Variant).Distinct().Count(), Is.EqualTo(first.Count));
        Assert.That(first.Select(v => BitOperations.PopCount(v.Variant ^ prefix)), Is.Ordered);
        Assert.That(first, Has.All.Matches<(uint Variant, int Budget)>(v => v.Budget == threshold - BitOperations.PopCount(v.Variant ^ prefix)));
        Assert.That(first.Count, Is.EqualTo(Enumerable.Range(0, threshold + 1).Sum(k => Choose(bits, k))));
    }

    [TestCase(11, 21, 31)]
    [TestCase(11, 21, 0)]
    [TestCase(11, 17, 63)]
    [TestCase(16, 9, 31)]
    [TestCase(16, 13, 1)]
    [TestCase(13, 19, 47)]
    public void Thresholds_AnyRadius_SumToRadiusPlusOneUnits(int chunks, int firstWidth, int radius)
    {
        // Arrange
        var layout = ChunkLayout.WithFirst(chunks, firstWidth);
        var thresholds = new int[layout.Count];

        // Act
        layout.Thresholds(radius, thresholds);

        // Assert: the generalised pigeonhole condition, sum(t + 1) = r + 1, with no t below -1.
        Assert.That(thresholds.Sum(t => t + 1), Is.EqualTo(radius + 1));
        Assert.That(thresholds.Min(), Is.GreaterThanOrEqualTo(-1));
        Assert.That(layout.Widths.Sum(), Is.EqualTo(256));
    }

    [TestCase(11, 21, 21, 24, 23)]
    [TestCase(11, 17, 17, 24, 23)]
    [TestCase(11, 30, 23, 24, 23)]
    [TestCase(9, 4, 16, 30, 30)]
    [TestCase(16, 9, 9, 17, 16)]
    [TestCase(64, 10, 4, 4, 4)]
    public void WithFirst_AnyWidth_CoversAllBitsInOrderWithinLimits(int chunks, int firstWidth, int expectedFirst, int widest, int narrowest)
    {
        // Act
        var layout = ChunkLayout.WithFirst(chunks, firstWidth);

        // Assert: chunk 0 as asked where the limits allow (no chunk over MaxWidth, chunk 0 no wider
        // than an even share), the rest as even as possible, wider first, contiguous from bit 0.
        Assert.That(layout.Widths[0], Is.EqualTo(expectedFirst));
        Assert.That(layout.Widths.Skip(1).Max(), Is.EqualTo(widest));
        Assert.That(layout.Widths.Skip(1).Min(), Is.EqualTo(narrowest));
        Assert.That(layout.Widths.Skip(1), Is.Ordered.Descending);
        Assert.That(layout.Widths.Max(), Is.LessThanOrEqualTo(ChunkLayout.MaxWidth));
        Assert.That(layout.Widths.Sum(), Is.EqualTo(256));
        for (var c = 1; c < chunks; c++)
        {
            Assert.That(layout.Offsets[c], Is.EqualTo(layout.Offsets[c - 1] + layout.Widths[c - 1]));
        }
    }

    private static List<(uint Variant, int Budget)> Drain(PrefixVariants variants, int batchSize)
    {
        var batch = new uint[batchSize];
        var budgets = new int[batchSize];
        var all = new List<(uint, int)>();
        int n;
        while ((n = variants.Fill(batch, budgets)) > 0)
        {
            for (var i = 0; i < n; i++)
            {
                all.Add((batch[i], budgets[i]));
            }
        }

        return all;
    }

    private static int Choose(int n, int k)
    {
        long result = 1;
        for (var i = 0; i < k; i++)
        {
            result = result * (n - i) / (i + 1);
        }

        return (int)result;
    }
}
