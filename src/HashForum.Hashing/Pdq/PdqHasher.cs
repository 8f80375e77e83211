using HashForum.Hashing.Pdq.Internal;

namespace HashForum.Hashing.Pdq;

/// <summary>Computes PDQ hashes from float luminance. Not thread-safe: one instance a thread.</summary>
public sealed class PdqHasher
{
    private readonly float[] _scratch = new float[256];

    /// <summary>Hashes row-major float luminance of <paramref name="width"/> x <paramref name="height"/> pixels.</summary>
    public PdqHash Hash(ReadOnlySpan<float> luma, int width, int height) { _ = _scratch; return PlainPdq.Hash(luma, width, height); }
}
