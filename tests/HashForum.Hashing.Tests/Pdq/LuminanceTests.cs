using HashForum.Hashing.Pdq;

namespace HashForum.Hashing.Tests.Pdq;

[TestFixture]
public sealed class LuminanceTests
{
    [TestCase(1)]
    [TestCase(7)]
    [TestCase(8)]
    [TestCase(9)]
    [TestCase(1000)]
    [TestCase(65537)]
    public void FromRgb24_RandomPixels_EqualsReferenceFormulaToTheBit(int pixels)
    {
        var random = new Random(pixels);
        var rgb = new byte[pixels * 3];
        random.NextBytes(rgb);
        var luma = new float[pixels];

        Luminance.FromRgb24(rgb, luma);

        for (var i = 0; i < pixels; i++)
        {
            // PDQ.md step 1, in the reference's operation order.
            var expected = (0.299f * rgb[3 * i]) + (0.587f * rgb[(3 * i) + 1]) + (0.114f * rgb[(3 * i) + 2]);
            Assert.That(BitConverter.SingleToInt32Bits(luma[i]), Is.EqualTo(BitConverter.SingleToInt32Bits(expected)), $"pixel {i}");
        }
    }

    [Test]
    public void FromRgb24_EveryGreyLevel_EqualsReferenceFormula()
    {
        var rgb = new byte[256 * 3];
        for (var v = 0; v < 256; v++)
        {
            rgb[3 * v] = rgb[(3 * v) + 1] = rgb[(3 * v) + 2] = (byte)v;
        }

        var luma = new float[256];
        Luminance.FromRgb24(rgb, luma);

        for (var v = 0; v < 256; v++)
        {
            var expected = (0.299f * v) + (0.587f * v) + (0.114f * v);
            Assert.That(luma[v], Is.EqualTo(expected));
        }
    }

    [Test]
    public void FromGray8_CopiesValues()
    {
        var luma = new float[3];

        Luminance.FromGray8([0, 17, 255], luma);

        Assert.That(luma, Is.EqualTo(new[] { 0f, 17f, 255f }));
    }

    [Test]
    public void FromRgb24_LengthMismatch_Throws()
    {
        Assert.That(() => Luminance.FromRgb24(new byte[10], new float[3]), Throws.ArgumentException);
    }
}
