using HashForum.Hashing.Pdq;
using HashForum.Hashing.Pdq.Internal;

namespace HashForum.Hashing.Tests.Pdq;

/// <summary>
/// The fast hasher against the plain one (<see cref="PlainPdq"/>, PDQ.md line by line): they must agree
/// to the bit on every shape, because the plain one agrees with the reference (see the conformance tests).
/// </summary>
[TestFixture]
public sealed class PdqHasherTests
{
    private static readonly (int Width, int Height)[] Shapes =
    [
        (5, 5), (5, 300), (300, 5), (7, 9), (8, 8), (15, 17), (16, 16), (17, 15), (31, 33), (63, 64), (64, 64), (65, 63),
        (100, 100), (127, 129), (128, 128), (129, 127), (200, 333), (255, 257), (256, 256), (257, 255), (511, 384),
        (640, 480), (1000, 3), (1250, 800), (1, 1000),
    ];

    [TestCaseSource(nameof(Shapes))]
    public void Hash_RandomImage_EqualsPlainImplementation((int Width, int Height) shape)
    {
        var (width, height) = shape;
        var random = new Random((width * 7919) + height);
        var luma = RandomLuma(random, width, height);

        var fast = new PdqHasher().Hash(luma, width, height);
        var plain = PlainPdq.Hash(luma, width, height);

        Assert.That(fast, Is.EqualTo(plain));
    }

    [Test]
    public void Hash_ReusedHasherAcrossSizes_StaysEqualToPlain()
    {
        var hasher = new PdqHasher();
        var random = new Random(3);
        foreach (var (width, height) in new[] { (300, 200), (40, 700), (300, 200), (9, 9), (1200, 50) })
        {
            var luma = RandomLuma(random, width, height);
            Assert.That(hasher.Hash(luma, width, height), Is.EqualTo(PlainPdq.Hash(luma, width, height)), $"{width}x{height}");
        }
    }

    [Test]
    public void Hash_SmoothGradient_EqualsPlainImplementation()
    {
        // Smooth content keeps running sums large and near-equal, where float rounding differences show.
        const int width = 613, height = 419;
        var luma = new float[width * height];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                luma[(y * width) + x] = (float)(127.5 + (127.5 * Math.Sin(x / 37.0) * Math.Cos(y / 23.0)));
            }
        }

        Assert.That(new PdqHasher().Hash(luma, width, height), Is.EqualTo(PlainPdq.Hash(luma, width, height)));
    }

    [TestCase(4, 100)]
    [TestCase(100, 4)]
    [TestCase(1, 1)]
    public void Hash_SideUnderFive_IsZeroWithQualityZero(int width, int height)
    {
        var luma = RandomLuma(new Random(1), width, height);

        var result = new PdqHasher().Hash(luma, width, height);

        Assert.That(result, Is.EqualTo(new PdqHash(Hash256.Zero, 0)));
    }

    [Test]
    public void Hash_FlatImage_HasQualityZero()
    {
        var luma = new float[100 * 100];
        Array.Fill(luma, 128f);

        Assert.That(new PdqHasher().Hash(luma, 100, 100).Quality, Is.Zero);
    }

    [Test]
    public void Hash_BufferSizeMismatch_Throws()
    {
        Assert.That(() => new PdqHasher().Hash(new float[10], 5, 5), Throws.ArgumentException);
    }

    [Test]
    public void Hash_RealisticImage_HasAboutHalfTheBitsSet()
    {
        // Thresholding at the median sets exactly 128 bits unless values tie at the median.
        var luma = RandomLuma(new Random(11), 320, 240);

        var hash = new PdqHasher().Hash(luma, 320, 240).Hash;

        Assert.That(hash.PopCount, Is.EqualTo(128));
    }

    [Test]
    public void HashDihedral_Original_EqualsHash()
    {
        var luma = RandomLuma(new Random(5), 333, 222);
        var hasher = new PdqHasher();

        var dihedral = hasher.HashDihedral(luma, 333, 222);
        var single = hasher.Hash(luma, 333, 222);

        Assert.Multiple(() =>
        {
            Assert.That(dihedral.Original, Is.EqualTo(single.Hash));
            Assert.That(dihedral.Quality, Is.EqualTo(single.Quality));
        });
    }

    [Test]
    public void Hash_AfterWarmUp_AllocatesNothing()
    {
        var luma = RandomLuma(new Random(13), 640, 480);
        var hasher = new PdqHasher();
        hasher.Hash(luma, 640, 480);
        hasher.HashDihedral(luma, 640, 480);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 5; i++)
        {
            hasher.Hash(luma, 640, 480);
            hasher.HashDihedral(luma, 640, 480);
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }

    internal static float[] RandomLuma(Random random, int width, int height)
    {
        var luma = new float[width * height];
        for (var i = 0; i < luma.Length; i++)
        {
            luma[i] = random.Next(256);
        }

        return luma;
    }
}
