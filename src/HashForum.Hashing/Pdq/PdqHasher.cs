using System.Runtime.Intrinsics;
using HashForum.Hashing.Pdq.Internal;

namespace HashForum.Hashing.Pdq;

/// <summary>
/// Computes PDQ hashes from float luminance, bit for bit as Meta's reference library does at full
/// resolution (../shared/PDQ.md). Not thread-safe: use one instance a thread. Its working buffers are
/// kept between calls, so hashing allocates nothing after the first image of a given size.
/// </summary>
public sealed class PdqHasher
{
    /// <summary>Working buffers larger than this many floats are dropped after use, not kept.</summary>
    private const int MaxRetainedFloats = 4 * 1024 * 1024;

    private const int Side = PdqSteps.DecimatedSide;
    private const int DctSide = PdqSteps.DctSide;

    private readonly float[] _buffer64 = new float[Side * Side];
    private readonly float[] _dctRows = new float[DctSide * Side];
    private readonly float[] _dct = new float[DctSide * DctSide];
    private readonly float[] _variant = new float[DctSide * DctSide];
    private readonly float[] _select = new float[DctSide * DctSide];
    private readonly JaroszBlur _blur = new();

    /// <summary>Hashes row-major float luminance of <paramref name="width"/> x <paramref name="height"/> pixels.</summary>
    /// <exception cref="ArgumentException">The buffer does not hold <c>width * height</c> values.</exception>
    public PdqHash Hash(ReadOnlySpan<float> luma, int width, int height) =>
        Finish(ComputeDct(luma, width, height));

    /// <summary>
    /// Hashes row-major packed R, G, B bytes (3 a pixel, no padding between rows): the same hash as
    /// <see cref="Luminance.FromRgb24"/> followed by <see cref="Hash"/>, to the bit, but the luminance is
    /// computed as the blur reads the pixels, so no float copy of the image is made.
    /// </summary>
    /// <exception cref="ArgumentException">The buffer does not hold <c>width * height * 3</c> bytes.</exception>
    public PdqHash HashRgb24(ReadOnlySpan<byte> rgb, int width, int height) =>
        Finish(ComputeDctRgb24(rgb, width, height));

    /// <summary>
    /// Hashes the image and its seven other dihedral variants (rotations and flips), all from one DCT.
    /// </summary>
    public DihedralHashes HashDihedral(ReadOnlySpan<float> luma, int width, int height) =>
        FinishDihedral(ComputeDct(luma, width, height));

    /// <summary><see cref="HashDihedral"/> from packed R, G, B bytes, as <see cref="HashRgb24"/> reads them.</summary>
    public DihedralHashes HashDihedralRgb24(ReadOnlySpan<byte> rgb, int width, int height) =>
        FinishDihedral(ComputeDctRgb24(rgb, width, height));

    private PdqHash Finish(int quality) =>
        quality < 0 ? new PdqHash(Hash256.Zero, 0) : new PdqHash(PdqSteps.Threshold(_dct, _select), quality);

    private DihedralHashes FinishDihedral(int quality)
    {
        var hashes = default(EightHashes);
        if (quality < 0)
        {
            return new DihedralHashes(hashes, 0);
        }

        hashes[0] = PdqSteps.Threshold(_dct, _select);
        for (var v = 1; v < 8; v++)
        {
            PdqSteps.Dihedral(_dct, _variant, (DihedralVariant)v);
            hashes[v] = PdqSteps.Threshold(_variant, _select);
        }

        return new DihedralHashes(hashes, quality);
    }

    /// <summary>Fills <see cref="_dct"/>; returns the quality, or -1 for an image too small to hash.</summary>
    private int ComputeDct(ReadOnlySpan<float> luma, int width, int height)
    {
        if (!CheckShape(luma.Length, 1, width, height, nameof(luma)))
        {
            return -1;
        }

        _blur.BlurAndDecimate(luma, width, height, _buffer64);
        return FinishDct();
    }

    private int ComputeDctRgb24(ReadOnlySpan<byte> rgb, int width, int height)
    {
        if (!CheckShape(rgb.Length, 3, width, height, nameof(rgb)))
        {
            return -1;
        }

        _blur.BlurAndDecimateRgb24(rgb, width, height, _buffer64);
        return FinishDct();
    }

    /// <summary>Validates the buffer; false for an image too small to hash.</summary>
    private static bool CheckShape(int length, int perPixel, int width, int height, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        var values = (long)width * height * perPixel;
        if (length != values)
        {
            throw new ArgumentException($"The buffer holds {length} values; a {width}x{height} image needs {values}.", name);
        }

        return width >= PdqSteps.MinimumSide && height >= PdqSteps.MinimumSide;
    }

    private int FinishDct()
    {
        _blur.Trim(MaxRetainedFloats);
        var quality = PdqSteps.Quality(_buffer64);
        Dct64To16(_buffer64, _dctRows, _dct);
        return quality;
    }

    /// <summary>
    /// <c>B = D A D^T</c> with every sum running over <c>k</c> in order, eight outputs a vector: per lane,
    /// the same float operations as the reference. Multiplies and adds stay separate (no fused
    /// multiply-add), as in the reference's build.
    /// </summary>
    private static void Dct64To16(ReadOnlySpan<float> a, Span<float> t, Span<float> b)
    {
        var d = PdqSteps.DctMatrix;
        for (var i = 0; i < DctSide; i++)
        {
            for (var j = 0; j < Side; j += 8)
            {
                var sum = Vector256<float>.Zero;
                for (var k = 0; k < Side; k++)
                {
                    sum += Vector256.Create(d[(i * Side) + k]) * Vector256.Create(a.Slice((k * Side) + j, 8));
                }

                sum.CopyTo(t.Slice((i * Side) + j, 8));
            }
        }

        var dt = PdqSteps.DctMatrixTransposed;
        for (var i = 0; i < DctSide; i++)
        {
            var sumLow = Vector256<float>.Zero;
            var sumHigh = Vector256<float>.Zero;
            for (var k = 0; k < Side; k++)
            {
                var tik = Vector256.Create(t[(i * Side) + k]);
                sumLow += tik * Vector256.Create(dt.AsSpan(k * DctSide, 8));
                sumHigh += tik * Vector256.Create(dt.AsSpan((k * DctSide) + 8, 8));
            }

            sumLow.CopyTo(b.Slice(i * DctSide, 8));
            sumHigh.CopyTo(b.Slice((i * DctSide) + 8, 8));
        }
    }
}
