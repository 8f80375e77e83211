namespace HashForum.Hashing.Pdq.Internal;

/// <summary>
/// PDQ written as plainly as ../shared/PDQ.md states it, one step after the other, with no attention
/// to speed. It is the oracle the fast <see cref="PdqHasher"/> is checked against on random images,
/// and the baseline its benchmarks print.
/// </summary>
internal static class PlainPdq
{
    /// <summary>Hashes row-major float luminance.</summary>
    public static PdqHash Hash(ReadOnlySpan<float> luma, int width, int height)
    {
        var dct = new float[PdqSteps.DctSide * PdqSteps.DctSide];
        var quality = Dct(luma, width, height, dct);
        return quality < 0 ? new PdqHash(Hash256.Zero, 0) : new PdqHash(PdqSteps.Threshold(dct, new float[256]), quality);
    }

    /// <summary>
    /// Blurs, decimates and transforms; writes the 16x16 DCT output and returns the quality, or -1 for an
    /// image too small to hash.
    /// </summary>
    public static int Dct(ReadOnlySpan<float> luma, int width, int height, Span<float> dct16)
    {
        if (width < PdqSteps.MinimumSide || height < PdqSteps.MinimumSide)
        {
            return -1;
        }

        var buffer1 = luma.ToArray();
        var buffer2 = new float[buffer1.Length];
        var windowAlongRows = PdqSteps.WindowSize(width);
        var windowAlongCols = PdqSteps.WindowSize(height);
        for (var pass = 0; pass < 2; pass++)
        {
            for (var row = 0; row < height; row++)
            {
                Box1D(buffer1, buffer2, row * width, width, 1, windowAlongRows);
            }

            for (var col = 0; col < width; col++)
            {
                Box1D(buffer2, buffer1, col, height, width, windowAlongCols);
            }
        }

        var side = PdqSteps.DecimatedSide;
        var buffer64 = new float[side * side];
        for (var i = 0; i < side; i++)
        {
            var sourceRow = PdqSteps.DecimationIndex(i, height);
            for (var j = 0; j < side; j++)
            {
                buffer64[(i * side) + j] = buffer1[(sourceRow * width) + PdqSteps.DecimationIndex(j, width)];
            }
        }

        var quality = PdqSteps.Quality(buffer64);

        // B = D A D^T, each sum running over k in order, in float.
        var d = PdqSteps.DctMatrix;
        var n = PdqSteps.DctSide;
        var t = new float[n * side];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < side; j++)
            {
                var sum = 0f;
                for (var k = 0; k < side; k++)
                {
                    sum += d[(i * side) + k] * buffer64[(k * side) + j];
                }

                t[(i * side) + j] = sum;
            }
        }

        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var sum = 0f;
                for (var k = 0; k < side; k++)
                {
                    sum += t[(i * side) + k] * d[(j * side) + k];
                }

                dct16[(i * n) + j] = sum;
            }
        }

        return quality;
    }

    /// <summary>
    /// One box pass along a line of <paramref name="length"/> samples <paramref name="stride"/> apart:
    /// a running float sum, added before subtracted, divided by the number of samples inside the window.
    /// The four phases and their order are the reference's; the float rounding depends on them.
    /// </summary>
    private static void Box1D(float[] input, float[] output, int start, int length, int stride, int window)
    {
        var half = (window + 2) / 2;
        var phase1 = half - 1;
        var phase2 = window - half + 1;
        var phase3 = length - window;
        var phase4 = half - 1;
        int li = start, ri = start, oi = start;
        var sum = 0f;
        var count = 0;
        for (var i = 0; i < phase1; i++)
        {
            sum += input[ri];
            count++;
            ri += stride;
        }

        for (var i = 0; i < phase2; i++)
        {
            sum += input[ri];
            count++;
            output[oi] = sum / count;
            ri += stride;
            oi += stride;
        }

        for (var i = 0; i < phase3; i++)
        {
            sum += input[ri];
            sum -= input[li];
            output[oi] = sum / count;
            li += stride;
            ri += stride;
            oi += stride;
        }

        for (var i = 0; i < phase4; i++)
        {
            sum -= input[li];
            count--;
            output[oi] = sum / count;
            li += stride;
            oi += stride;
        }
    }
}
