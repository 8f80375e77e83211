using System.Runtime.Intrinsics;
using HashForum.Hashing.Pdq.Internal;

namespace HashForum.Hashing.Tests.Pdq;

[TestFixture]
public sealed class ExactDivisionTests
{
    [Test]
    public void Divide_EveryCountUpTo256_EqualsIeeeDivisionToTheBit()
    {
        // Oracle: the float division itself. Values span the magnitudes box sums take (and far beyond),
        // both signs, drawn by bit pattern so every significand is as likely as any other.
        var random = new Random(20261127);
        var values = new float[8];
        var mismatches = 0;
        for (var n = 1; n <= 256; n++)
        {
            var divisor = Vector256.Create((float)n);
            var reciprocal = Vector256.Create(1f / n);
            for (var trial = 0; trial < 4000; trial++)
            {
                for (var k = 0; k < 8; k++)
                {
                    values[k] = BitConverter.Int32BitsToSingle(random.Next(0x3A800000, 0x48000000)) * (random.Next(2) == 0 ? 1 : -1);
                }

                var quotient = ExactDivision.Divide(Vector256.Create(values), divisor, reciprocal);
                for (var k = 0; k < 8; k++)
                {
                    if (BitConverter.SingleToInt32Bits(quotient.GetElement(k)) != BitConverter.SingleToInt32Bits(values[k] / n))
                    {
                        mismatches++;
                    }
                }
            }
        }

        Assert.That(mismatches, Is.Zero);
    }

    [Test]
    public void Divide_WholeNumbersAndZero_EqualsIeeeDivision()
    {
        for (var n = 1; n <= 130; n++)
        {
            for (var x = 0; x < 255 * 130; x += 7)
            {
                var quotient = ExactDivision.Divide(Vector256.Create((float)x), Vector256.Create((float)n), Vector256.Create(1f / n));
                Assert.That(quotient.GetElement(0), Is.EqualTo(x / (float)n), $"{x} / {n}");
            }
        }
    }
}
