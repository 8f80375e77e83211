using HashForum.Hashing.Pdq;

namespace HashForum.Hashing.Tests.Pdq;

[TestFixture]
public sealed class Hash256Tests
{
    // A hash from the reference outputs (../shared/testdata/pdq, bridge-mods/aaa-orig.jpg).
    private const string ReferenceHex = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";

    [Test]
    public void Parse_ReferenceHex_FormatsBackIdentically()
    {
        var hash = Hash256.Parse(ReferenceHex);

        Assert.That(hash.ToString(), Is.EqualTo(ReferenceHex));
    }

    [Test]
    public void Parse_UpperCase_EqualsLowerCase()
    {
        Assert.That(Hash256.Parse(ReferenceHex.ToUpperInvariant()), Is.EqualTo(Hash256.Parse(ReferenceHex)));
    }

    [TestCase("")]
    [TestCase("f8f8")]
    [TestCase(ReferenceHex + "0")]
    [TestCase("g8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22")]
    [TestCase("f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b2 ")]
    public void TryParse_Malformed_FailsWithReason(string text)
    {
        var ok = Hash256.TryParse(text, out _, out var error);

        Assert.Multiple(() =>
        {
            Assert.That(ok, Is.False);
            Assert.That(error, Does.Contain("64 hex digits"));
        });
    }

    [Test]
    public void Parse_Malformed_ThrowsFormatException()
    {
        Assert.That(() => Hash256.Parse("xyz"), Throws.TypeOf<FormatException>());
    }

    [Test]
    public void GetBit_FollowsReferenceLayout_WordFifteenPrintedFirst()
    {
        // Bit k is bit k % 16 of word k / 16, and word 0 is printed last: so bit 0 is the lowest bit
        // of the last hex digit, and bit 255 the highest bit of the first.
        var lowest = Hash256.Parse(new string('0', 63) + "1");
        var highest = Hash256.Parse("8" + new string('0', 63));
        var word1Bit0 = Hash256.Parse(new string('0', 59) + "10000");

        Assert.Multiple(() =>
        {
            Assert.That(lowest.GetBit(0), Is.True);
            Assert.That(lowest.PopCount, Is.EqualTo(1));
            Assert.That(highest.GetBit(255), Is.True);
            Assert.That(highest.PopCount, Is.EqualTo(1));
            Assert.That(word1Bit0.GetBit(16), Is.True);
        });
    }

    [Test]
    public void Distance_MatchesBitByBitCount_OnRandomPairs()
    {
        var random = new Random(7);
        for (var trial = 0; trial < 500; trial++)
        {
            var a = RandomHash(random);
            var b = RandomHash(random);
            var expected = 0;
            for (var bit = 0; bit < Hash256.Bits; bit++)
            {
                expected += a.GetBit(bit) != b.GetBit(bit) ? 1 : 0;
            }

            Assert.That(Hash256.Distance(a, b), Is.EqualTo(expected));
        }
    }

    [Test]
    public void FlipBit_ChangesDistanceByOne()
    {
        var hash = Hash256.Parse(ReferenceHex);
        for (var bit = 0; bit < Hash256.Bits; bit += 17)
        {
            var flipped = hash.FlipBit(bit);
            Assert.That(hash.DistanceTo(flipped), Is.EqualTo(1));
            Assert.That(flipped.GetBit(bit), Is.Not.EqualTo(hash.GetBit(bit)));
        }
    }

    [Test]
    public void Bytes_RoundTrip_AndMatchHexOrder()
    {
        var hash = Hash256.Parse(ReferenceHex);

        var bytes = hash.ToBytes();

        Assert.Multiple(() =>
        {
            Assert.That(Convert.ToHexStringLower(bytes), Is.EqualTo(ReferenceHex));
            Assert.That(Hash256.FromBytes(bytes), Is.EqualTo(hash));
        });
    }

    [Test]
    public void FromBytes_WrongLength_Throws()
    {
        Assert.That(() => Hash256.FromBytes(new byte[31]), Throws.ArgumentException);
    }

    [Test]
    public void CompareTo_OrdersAsNumbers()
    {
        var small = Hash256.Parse("0" + new string('f', 63));
        var large = Hash256.Parse("1" + new string('0', 63));

        Assert.That(small, Is.LessThan(large));
    }

    internal static Hash256 RandomHash(Random random)
    {
        Span<byte> bytes = stackalloc byte[32];
        random.NextBytes(bytes);
        return Hash256.FromBytes(bytes);
    }
}
