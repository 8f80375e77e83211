using HashForum.Hashing.Pdq;
using HashForum.Hashing.Pdq.Internal;

namespace HashForum.Hashing.Tests.Pdq;

/// <summary>
/// Hashing packed RGB with the luminance computed inside the blur, against the two-step oracle:
/// <see cref="Luminance.FromRgb24"/> then the plain implementation (<see cref="PlainPdq"/>). They must
/// agree to the bit, on shapes that exercise every edge of the fused reader (widths under a vector,
/// widths whose last pixels take the scalar path, heights that leave lone strips and single rows).
/// </summary>
[TestFixture]
public sealed class PdqHasherRgb24Tests
{
    private static readonly (int Width, int Height)[] Shapes =
    [
        (5, 5), (7, 9), (8, 8), (9, 17), (10, 23), (11, 24), (12, 31), (15, 17), (16, 16), (17, 15), (31, 33),
        (64, 64), (65, 63), (127, 129), (200, 333), (257, 255), (640, 480), (1000, 3), (3, 1000), (1250, 800),
    ];

    [TestCaseSource(nameof(Shapes))]
    public void HashRgb24_RandomImage_EqualsLuminanceThenPlainHash((int Width, int Height) shape)
    {
        var (width, height) = shape;
        var rgb = RandomRgb(new Random((width * 31) + height), width, height);

        var fused = new PdqHasher().HashRgb24(rgb, width, height);

        Assert.That(fused, Is.EqualTo(PlainPdq.Hash(LumaOf(rgb, width, height), width, height)));
    }

    [Test]
    public void HashRgb24_SaturatedColours_EqualsLuminanceThenPlainHash()
    {
        // Only 0 and 255 per channel: the largest products, where a wrong weight or order shows most.
        const int width = 301, height = 203;
        var random = new Random(11);
        var rgb = new byte[width * height * 3];
        for (var i = 0; i < rgb.Length; i++)
        {
            rgb[i] = random.Next(2) == 0 ? (byte)0 : (byte)255;
        }

        Assert.That(new PdqHasher().HashRgb24(rgb, width, height), Is.EqualTo(PlainPdq.Hash(LumaOf(rgb, width, height), width, height)));
    }

    [Test]
    public void HashDihedralRgb24_RandomImage_EqualsDihedralOfLuminance()
    {
        const int width = 333, height = 222;
        var rgb = RandomRgb(new Random(5), width, height);
        var hasher = new PdqHasher();

        var fused = hasher.HashDihedralRgb24(rgb, width, height);
        var twoStep = hasher.HashDihedral(LumaOf(rgb, width, height), width, height);

        Assert.Multiple(() =>
        {
            Assert.That(fused.Quality, Is.EqualTo(twoStep.Quality));
            for (var v = 0; v < 8; v++)
            {
                Assert.That(fused[(DihedralVariant)v], Is.EqualTo(twoStep[(DihedralVariant)v]), ((DihedralVariant)v).ToString());
            }
        });
    }

    [Test]
    public void HashRgb24_SideUnderFive_IsZeroWithQualityZero()
    {
        var hash = new PdqHasher().HashRgb24(new byte[4 * 100 * 3], 4, 100);

        Assert.That(hash, Is.EqualTo(new PdqHash(Hash256.Zero, 0)));
    }

    [Test]
    public void HashRgb24_BufferSizeMismatch_Throws()
    {
        Assert.Throws<ArgumentException>(() => new PdqHasher().HashRgb24(new byte[(10 * 10 * 3) - 1], 10, 10));
    }

    [Test]
    public void HashRgb24_AfterWarmUp_AllocatesNothing()
    {
        var rgb = RandomRgb(new Random(13), 640, 480);
        var hasher = new PdqHasher();
        hasher.HashRgb24(rgb, 640, 480);
        hasher.HashDihedralRgb24(rgb, 640, 480);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 5; i++)
        {
            hasher.HashRgb24(rgb, 640, 480);
            hasher.HashDihedralRgb24(rgb, 640, 480);
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }

    private static byte[] RandomRgb(Random random, int width, int height)
    {
        var rgb = new byte[width * height * 3];
        random.NextBytes(rgb);
        return rgb;
    }

    private static float[] LumaOf(byte[] rgb, int width, int height)
    {
        var luma = new float[width * height];
        for (int i = 0, j = 0; i < luma.Length; i++, j += 3)
        {
            // Written out, not through Luminance.FromRgb24, so the oracle does not share the vector code.
            luma[i] = (Luminance.RedWeight * rgb[j]) + (Luminance.GreenWeight * rgb[j + 1]) + (Luminance.BlueWeight * rgb[j + 2]);
        }

        return luma;
    }
}
