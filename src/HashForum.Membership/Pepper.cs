using System.Security.Cryptography;
using System.Text;

namespace HashForum.Membership;

/// <summary>
/// The server-side secret keys are HMACed under: only HMAC-SHA256(pepper, key) is stored, so a copy of the store
/// alone does not let anyone use or check a key. Never logged: <see cref="ToString"/> says nothing about it.
/// </summary>
public sealed class Pepper
{
    /// <summary>Fewest bytes a pepper may have.</summary>
    public const int MinimumBytes = 32;

    private readonly byte[] _bytes;

    private Pepper(byte[] bytes) => _bytes = bytes;

    /// <summary>A new random pepper of 32 bytes.</summary>
    public static Pepper Generate() => new(RandomNumberGenerator.GetBytes(MinimumBytes));

    /// <summary>Parses hex or base64 text of at least <see cref="MinimumBytes"/> bytes.</summary>
    /// <exception cref="FormatException">Not hex or base64, or too short; the message says what to fix (never the value).</exception>
    public static Pepper Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        byte[]? bytes = null;
        if (trimmed.Length % 2 == 0 && trimmed.All(char.IsAsciiHexDigit))
        {
            bytes = Convert.FromHexString(trimmed);
        }
        else
        {
            var buffer = new byte[trimmed.Length];
            if (Convert.TryFromBase64String(trimmed, buffer, out var written))
            {
                bytes = buffer[..written];
            }
        }

        if (bytes is null)
        {
            throw new FormatException("The pepper (HASHFORUM_PEPPER) must be hex or base64.");
        }

        if (bytes.Length < MinimumBytes)
        {
            throw new FormatException(
                $"The pepper (HASHFORUM_PEPPER) must hold at least {MinimumBytes} random bytes; it holds {bytes.Length}. " +
                "Generate one with: openssl rand -hex 32");
        }

        return new Pepper(bytes);
    }

    /// <summary>The pepper as hex (for writing the development pepper file only).</summary>
    public string ToHex() => Convert.ToHexStringLower(_bytes);

    /// <summary>HMAC-SHA256 of <paramref name="key"/> under the pepper.</summary>
    public byte[] Hmac(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return HMACSHA256.HashData(_bytes, Encoding.ASCII.GetBytes(key));
    }

    /// <summary>A fingerprint that tells peppers apart without revealing them (an HMAC of a fixed label).</summary>
    public byte[] Fingerprint() => HMACSHA256.HashData(_bytes, "hashforum pepper fingerprint v1"u8);

    /// <summary>Constant-time check of <paramref name="key"/> against a stored HMAC.</summary>
    public bool Matches(string key, ReadOnlySpan<byte> storedHmac)
    {
        Span<byte> actual = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_bytes, Encoding.ASCII.GetBytes(key), actual);
        return CryptographicOperations.FixedTimeEquals(actual, storedHmac);
    }

    public override string ToString() => "[pepper]";
}
