namespace HashForum.Hashing.Pdq.Internal;

/// <summary>
/// The steps of PDQ that work on the 64x64 and 16x16 buffers, shared by the fast hasher and the
/// plain one (../shared/PDQ.md, steps 2 and 4 to 8; the reference is <c>pdq/cpp/hashing/pdqhashing.cpp</c>).
/// </summary>
internal static class PdqSteps
{
    /// <summary>Images with a side under this many pixels hash to zero with quality 0.</summary>
    public const int MinimumSide = 5;

    /// <summary>Side of the decimated image.</summary>
    public const int DecimatedSide = 64;

    /// <summary>Side of the DCT output kept (frequencies 1..16).</summary>
    public const int DctSide = 16;

    /// <summary>
    /// The 16x64 DCT-II basis without the DC row: <c>sqrt(2/64) * cos(pi/128 * (i+1) * (2j+1))</c>,
    /// computed in double and stored as float, as the reference's static table is.
    /// </summary>
    public static readonly float[] DctMatrix = BuildDctMatrix();

    /// <summary>The same matrix transposed (64x16), so the second product can run along rows.</summary>
    public static readonly float[] DctMatrixTransposed = Transpose(DctMatrix, DctSide, DecimatedSide);

    /// <summary>
    /// Jarosz box window for one dimension: <c>ceil(n / 128)</c>, i.e. the reference's
    /// <c>(n + 2 * 64 - 1) / (2 * 64)</c>.
    /// </summary>
    public static int WindowSize(int dimension) => (dimension + (2 * DecimatedSide) - 1) / (2 * DecimatedSide);

    /// <summary>
    /// The source index the decimation samples for output index <paramref name="i"/>:
    /// <c>floor((i + 0.5) * n / 64)</c> in double, as the reference computes it.
    /// </summary>
    public static int DecimationIndex(int i, int n) => (int)((i + 0.5) * n / DecimatedSide);

    /// <summary>
    /// Image-domain quality: the sum of truncated scaled neighbour differences over the 64x64 buffer,
    /// divided by 90, capped at 100. Float arithmetic in the reference's order.
    /// </summary>
    public static int Quality(ReadOnlySpan<float> buffer64)
    {
        var gradientSum = 0;
        for (var i = 0; i < DecimatedSide - 1; i++)
        {
            for (var j = 0; j < DecimatedSide; j++)
            {
                var u = buffer64[(i * DecimatedSide) + j];
                var v = buffer64[((i + 1) * DecimatedSide) + j];
                gradientSum += Math.Abs((int)((u - v) * 100 / 255));
            }
        }

        for (var i = 0; i < DecimatedSide; i++)
        {
            for (var j = 0; j < DecimatedSide - 1; j++)
            {
                var u = buffer64[(i * DecimatedSide) + j];
                var v = buffer64[(i * DecimatedSide) + j + 1];
                gradientSum += Math.Abs((int)((u - v) * 100 / 255));
            }
        }

        return Math.Min(100, gradientSum / 90);
    }

    /// <summary>
    /// Thresholds 256 DCT values at their median (the 128th smallest, as Torben's method in the
    /// reference returns for an even count): bit <c>k</c> is set when value <c>k</c> is strictly greater.
    /// </summary>
    public static Hash256 Threshold(ReadOnlySpan<float> dct16, Span<float> scratch256)
    {
        dct16.CopyTo(scratch256);
        var median = SelectKth(scratch256[..256], 127);
        Span<ulong> limbs = stackalloc ulong[4];
        for (var k = 0; k < 256; k++)
        {
            if (dct16[k] > median)
            {
                limbs[k >> 6] |= 1UL << (k & 63);
            }
        }

        return new Hash256(limbs[0], limbs[1], limbs[2], limbs[3]);
    }

    /// <summary>
    /// Writes the dihedral variant <paramref name="variant"/> of the 16x16 DCT output (../shared/PDQ.md,
    /// "The eight dihedral variants, from one DCT"). Negation is exact, so this is the reference's
    /// computation to the bit.
    /// </summary>
    public static void Dihedral(ReadOnlySpan<float> b, Span<float> output, DihedralVariant variant)
    {
        for (var i = 0; i < DctSide; i++)
        {
            for (var j = 0; j < DctSide; j++)
            {
                var value = b[(i * DctSide) + j];
                var iOdd = (i & 1) == 1;
                var jOdd = (j & 1) == 1;
                var sumOdd = ((i + j) & 1) == 1;
                switch (variant)
                {
                    case DihedralVariant.Original:
                        output[(i * DctSide) + j] = value;
                        break;
                    case DihedralVariant.Rot90:
                        output[(j * DctSide) + i] = jOdd ? value : -value;
                        break;
                    case DihedralVariant.Rot180:
                        output[(i * DctSide) + j] = sumOdd ? -value : value;
                        break;
                    case DihedralVariant.Rot270:
                        output[(j * DctSide) + i] = iOdd ? value : -value;
                        break;
                    case DihedralVariant.FlipX:
                        output[(i * DctSide) + j] = iOdd ? value : -value;
                        break;
                    case DihedralVariant.FlipY:
                        output[(i * DctSide) + j] = jOdd ? value : -value;
                        break;
                    case DihedralVariant.FlipPlus1:
                        output[(j * DctSide) + i] = value;
                        break;
                    case DihedralVariant.FlipMinus1:
                        output[(j * DctSide) + i] = sumOdd ? -value : value;
                        break;
                    default:
                        throw new ArgumentOutOfRangeException(nameof(variant));
                }
            }
        }
    }

    /// <summary>Quickselect: the k-th smallest value (0-based). Reorders <paramref name="values"/>.</summary>
    private static float SelectKth(Span<float> values, int k)
    {
        var lo = 0;
        var hi = values.Length - 1;
        while (lo < hi)
        {
            var pivot = MedianOfThree(values[lo], values[lo + ((hi - lo) / 2)], values[hi]);
            var i = lo;
            var j = hi;
            while (i <= j)
            {
                while (values[i] < pivot)
                {
                    i++;
                }

                while (values[j] > pivot)
                {
                    j--;
                }

                if (i <= j)
                {
                    (values[i], values[j]) = (values[j], values[i]);
                    i++;
                    j--;
                }
            }

            if (k <= j)
            {
                hi = j;
            }
            else if (k >= i)
            {
                lo = i;
            }
            else
            {
                return values[k];
            }
        }

        return values[k];
    }

    private static float MedianOfThree(float a, float b, float c) =>
        Math.Max(Math.Min(a, b), Math.Min(Math.Max(a, b), c));

    private static float[] BuildDctMatrix()
    {
        var matrix = new float[DctSide * DecimatedSide];
        var scale = Math.Sqrt(2.0 / DecimatedSide);
        for (var i = 0; i < DctSide; i++)
        {
            for (var j = 0; j < DecimatedSide; j++)
            {
                matrix[(i * DecimatedSide) + j] = (float)(scale * Math.Cos(Math.PI / 2 / DecimatedSide * (i + 1) * ((2 * j) + 1)));
            }
        }

        return matrix;
    }

    private static float[] Transpose(float[] matrix, int rows, int cols)
    {
        var result = new float[rows * cols];
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < cols; j++)
            {
                result[(j * rows) + i] = matrix[(i * cols) + j];
            }
        }

        return result;
    }
}
