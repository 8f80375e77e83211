namespace HashForum.Storage;

/// <summary>The kinds of signal a record can hold (HMA's vocabulary).</summary>
public enum SignalType
{
    /// <summary>A 256-bit PDQ perceptual hash, matched by Hamming distance.</summary>
    Pdq = 1,

    /// <summary>An MD5 digest of the file bytes, matched exactly.</summary>
    Md5 = 2,

    /// <summary>A SHA-256 digest of the file bytes, matched exactly.</summary>
    Sha256 = 3,
}

/// <summary>Wire names and value rules of <see cref="SignalType"/>.</summary>
public static class SignalTypes
{
    /// <summary>The wire name: <c>pdq</c>, <c>md5</c> or <c>sha256</c>.</summary>
    public static string ToWireName(this SignalType signal) => signal switch
    {
        SignalType.Pdq => "pdq",
        SignalType.Md5 => "md5",
        SignalType.Sha256 => "sha256",
        _ => throw new ArgumentOutOfRangeException(nameof(signal), signal, "Unknown signal type."),
    };

    /// <summary>Parses a wire name (<c>pdq</c>, <c>md5</c>, <c>sha256</c>, any case).</summary>
    public static bool TryParse(string? name, out SignalType signal)
    {
        signal = name?.ToLowerInvariant() switch
        {
            "pdq" => SignalType.Pdq,
            "md5" => SignalType.Md5,
            "sha256" => SignalType.Sha256,
            _ => 0,
        };
        return signal != 0;
    }

    /// <summary>The length in bytes of a value of this signal type.</summary>
    public static int ByteLength(this SignalType signal) => signal switch
    {
        SignalType.Pdq => 32,
        SignalType.Md5 => 16,
        SignalType.Sha256 => 32,
        _ => throw new ArgumentOutOfRangeException(nameof(signal), signal, "Unknown signal type."),
    };

    /// <summary>
    /// The canonical text of a value: lower-case hex of exactly <see cref="ByteLength"/> bytes.
    /// </summary>
    /// <exception cref="ArgumentException">The value is not hex of the right length; the message says what is wrong.</exception>
    public static string NormalizeValue(this SignalType signal, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var expected = signal.ByteLength() * 2;
        var trimmed = value.Trim();
        if (trimmed.Length != expected)
        {
            throw new ArgumentException(
                $"A {signal.ToWireName()} value is {expected} hex digits; got {trimmed.Length} characters.", nameof(value));
        }

        foreach (var c in trimmed)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                throw new ArgumentException($"A {signal.ToWireName()} value is hex digits only; found '{c}'.", nameof(value));
            }
        }

        return trimmed.ToLowerInvariant();
    }
}
