using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace HashForum.Imaging;

/// <summary>
/// MD5 and SHA-256 of the original upload: the exact-match signals shared alongside PDQ.
/// </summary>
public static class ExactDigests
{
    /// <summary>Length of an MD5 digest in bytes.</summary>
    public const int Md5Length = 16;

    /// <summary>Length of a SHA-256 digest in bytes.</summary>
    public const int Sha256Length = 32;

    /// <summary>Computes both digests of <paramref name="data"/>, exactly as received.</summary>
    [SuppressMessage("Security", "CA5351:Do Not Use Broken Cryptographic Algorithms",
        Justification = "MD5 is an exchange format here (ThreatExchange and the hash-sharing programmes publish MD5 signals), not a security control.")]
    public static (byte[] Md5, byte[] Sha256) Compute(ReadOnlySpan<byte> data)
    {
        return (MD5.HashData(data), SHA256.HashData(data));
    }

    /// <summary>Computes both digests as lowercase hex, the form the exchange formats use.</summary>
    public static (string Md5, string Sha256) ComputeHex(ReadOnlySpan<byte> data)
    {
        var (md5, sha256) = Compute(data);
        return (ToHex(md5), ToHex(sha256));
    }

    /// <summary>Lowercase hex of a digest.</summary>
    public static string ToHex(ReadOnlySpan<byte> digest) => Convert.ToHexStringLower(digest);
}
