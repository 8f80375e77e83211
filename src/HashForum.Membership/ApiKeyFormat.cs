using System.Security.Cryptography;
using System.Text;

namespace HashForum.Membership;

/// <summary>
/// The API key format: <c>hfk_</c>, a 16-character key id (80 random bits), a 52-character secret (256 random bits)
/// and an 8-character checksum (the first 40 bits of SHA-256 over everything before it), all in lower-case base32
/// (RFC 4648 alphabet). 80 characters in all, no separators, so a double click selects it whole.
/// </summary>
/// <remarks>
/// The prefix lets secret scanners recognise a leaked key; the checksum lets a mistyped or truncated key be refused
/// without a store lookup; the key id lets the server find the key's record in O(1) without storing the key.
/// </remarks>
public static class ApiKeyFormat
{
    public const string Prefix = "hfk_";
    public const int KeyIdLength = 16;
    public const int SecretLength = 52;
    public const int ChecksumLength = 8;
    public const int Length = 4 + KeyIdLength + SecretLength + ChecksumLength;

    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";
    private const int KeyIdBytes = 10;
    private const int SecretBytes = 32;
    private const int ChecksumBytes = 5;

    /// <summary>A new key with a new random key id.</summary>
    public static string Generate(out string keyId)
    {
        Span<byte> random = stackalloc byte[KeyIdBytes + SecretBytes];
        RandomNumberGenerator.Fill(random);
        var body = new StringBuilder(Length);
        body.Append(Prefix);
        AppendBase32(body, random[..KeyIdBytes]);
        AppendBase32(body, random[KeyIdBytes..]);
        CryptographicOperations.ZeroMemory(random);
        keyId = body.ToString(Prefix.Length, KeyIdLength);
        AppendBase32(body, Checksum(body.ToString()));
        return body.ToString();
    }

    /// <summary>A new random identifier: <paramref name="prefix"/> and 16 base32 characters (80 bits).</summary>
    public static string NewId(string prefix)
    {
        Span<byte> random = stackalloc byte[KeyIdBytes];
        RandomNumberGenerator.Fill(random);
        var id = new StringBuilder(prefix.Length + KeyIdLength).Append(prefix);
        AppendBase32(id, random);
        return id.ToString();
    }

    /// <summary>
    /// Checks the shape and checksum of <paramref name="key"/> and returns its key id; no secret is compared here.
    /// </summary>
    /// <returns>False, with a reason that says what is wrong (never echoing the key), when the key is malformed.</returns>
    public static bool TryParse(ReadOnlySpan<char> key, out string keyId, out string reason)
    {
        keyId = string.Empty;
        if (!key.StartsWith(Prefix, StringComparison.Ordinal))
        {
            reason = $"an API key starts with '{Prefix}'";
            return false;
        }

        if (key.Length != Length)
        {
            reason = $"an API key is {Length} characters long; this one has {key.Length} (was it copied whole?)";
            return false;
        }

        foreach (var c in key[Prefix.Length..])
        {
            if (Alphabet.IndexOf(c, StringComparison.Ordinal) < 0)
            {
                reason = "an API key holds only lower-case letters and the digits 2-7 after its prefix";
                return false;
            }
        }

        var bodyLength = Length - ChecksumLength;
        var expected = new StringBuilder(ChecksumLength);
        AppendBase32(expected, Checksum(key[..bodyLength].ToString()));
        Span<byte> expectedBytes = stackalloc byte[ChecksumLength];
        Span<byte> actualBytes = stackalloc byte[ChecksumLength];
        Encoding.ASCII.GetBytes(expected.ToString(), expectedBytes);
        Encoding.ASCII.GetBytes(key[bodyLength..], actualBytes);
        if (!CryptographicOperations.FixedTimeEquals(expectedBytes, actualBytes))
        {
            reason = "the API key's checksum does not match (is it mistyped?)";
            return false;
        }

        keyId = key.Slice(Prefix.Length, KeyIdLength).ToString();
        reason = string.Empty;
        return true;
    }

    /// <summary>True when <paramref name="id"/> looks like a key id (16 base32 characters).</summary>
    public static bool IsKeyId(string? id)
    {
        if (id is not { Length: KeyIdLength })
        {
            return false;
        }

        foreach (var c in id)
        {
            if (Alphabet.IndexOf(c, StringComparison.Ordinal) < 0)
            {
                return false;
            }
        }

        return true;
    }

    private static byte[] Checksum(string body) =>
        SHA256.HashData(Encoding.ASCII.GetBytes(body))[..ChecksumBytes];

    private static void AppendBase32(StringBuilder to, ReadOnlySpan<byte> bytes)
    {
        var buffer = 0;
        var bits = 0;
        foreach (var b in bytes)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                to.Append(Alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }

        if (bits > 0)
        {
            to.Append(Alphabet[(buffer << (5 - bits)) & 31]);
        }
    }
}
