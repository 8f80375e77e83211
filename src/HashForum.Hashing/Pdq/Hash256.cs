using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.InteropServices;

namespace HashForum.Hashing.Pdq;

/// <summary>
/// A 256-bit PDQ hash: a 32-byte value type.
/// </summary>
/// <remarks>
/// Bit <c>k</c> (0..255) is DCT cell <c>(k / 16, k % 16)</c>. The reference keeps 16 words of 16 bits
/// (bit <c>k</c> is bit <c>k % 16</c> of word <c>k / 16</c>) and prints them <c>%04x</c> from word 15
/// down to word 0, i.e. the hash is the big-endian 256-bit number whose bit <c>k</c> is bit <c>k</c>.
/// Here the same number is held as four little-endian 64-bit limbs: bit <c>k</c> is bit <c>k % 64</c>
/// of limb <c>k / 64</c>, so Hamming distance is four popcounts.
/// </remarks>
[StructLayout(LayoutKind.Sequential)]
public readonly struct Hash256 : IEquatable<Hash256>, IComparable<Hash256>, ISpanFormattable
{
    /// <summary>The number of bits in a hash.</summary>
    public const int Bits = 256;

    /// <summary>The length of the hex form.</summary>
    public const int HexLength = 64;

    /// <summary>The length of the byte form.</summary>
    public const int ByteLength = 32;

    private readonly ulong _limb0; // bits 0..63
    private readonly ulong _limb1; // bits 64..127
    private readonly ulong _limb2; // bits 128..191
    private readonly ulong _limb3; // bits 192..255

    /// <summary>Builds a hash from its four 64-bit limbs, least significant first.</summary>
    public Hash256(ulong limb0, ulong limb1, ulong limb2, ulong limb3)
    {
        _limb0 = limb0;
        _limb1 = limb1;
        _limb2 = limb2;
        _limb3 = limb3;
    }

    /// <summary>The all-zero hash (what PDQ gives an image too small to hash).</summary>
    public static Hash256 Zero => default;

    /// <summary>Limb <paramref name="index"/> (0..3): bits <c>64 * index</c> to <c>64 * index + 63</c>.</summary>
    public ulong this[int index] => index switch
    {
        0 => _limb0,
        1 => _limb1,
        2 => _limb2,
        3 => _limb3,
        _ => throw new ArgumentOutOfRangeException(nameof(index), index, "A hash has limbs 0 to 3."),
    };

    /// <summary>The number of one bits.</summary>
    public int PopCount =>
        BitOperations.PopCount(_limb0) + BitOperations.PopCount(_limb1) +
        BitOperations.PopCount(_limb2) + BitOperations.PopCount(_limb3);

    /// <summary>Bit <paramref name="bit"/> (0..255).</summary>
    public bool GetBit(int bit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bit);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(bit, Bits);
        return ((this[bit >> 6] >> (bit & 63)) & 1UL) != 0;
    }

    /// <summary>A copy with bit <paramref name="bit"/> flipped.</summary>
    public Hash256 FlipBit(int bit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bit);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(bit, Bits);
        var mask = 1UL << (bit & 63);
        return (bit >> 6) switch
        {
            0 => new Hash256(_limb0 ^ mask, _limb1, _limb2, _limb3),
            1 => new Hash256(_limb0, _limb1 ^ mask, _limb2, _limb3),
            2 => new Hash256(_limb0, _limb1, _limb2 ^ mask, _limb3),
            _ => new Hash256(_limb0, _limb1, _limb2, _limb3 ^ mask),
        };
    }

    /// <summary>Hamming distance: the number of bits in which two hashes differ (0..256).</summary>
    public static int Distance(in Hash256 a, in Hash256 b) =>
        BitOperations.PopCount(a._limb0 ^ b._limb0) + BitOperations.PopCount(a._limb1 ^ b._limb1) +
        BitOperations.PopCount(a._limb2 ^ b._limb2) + BitOperations.PopCount(a._limb3 ^ b._limb3);

    /// <summary>Hamming distance to <paramref name="other"/>.</summary>
    public int DistanceTo(in Hash256 other) => Distance(this, other);

    /// <summary>
    /// Parses 64 hex digits (either case), as the reference prints a hash.
    /// </summary>
    /// <exception cref="FormatException">The text is not 64 hex digits; the message says what is wrong.</exception>
    public static Hash256 Parse(ReadOnlySpan<char> hex)
    {
        if (TryParse(hex, out var hash, out var error))
        {
            return hash;
        }

        throw new FormatException(error);
    }

    /// <summary>Parses 64 hex digits (either case).</summary>
    public static Hash256 Parse(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        return Parse(hex.AsSpan());
    }

    /// <summary>Tries to parse 64 hex digits (either case).</summary>
    public static bool TryParse(ReadOnlySpan<char> hex, out Hash256 hash) => TryParse(hex, out hash, out _);

    /// <summary>Tries to parse 64 hex digits (either case); on failure <paramref name="error"/> says what is wrong.</summary>
    public static bool TryParse(ReadOnlySpan<char> hex, out Hash256 hash, [NotNullWhen(false)] out string? error)
    {
        hash = default;
        if (hex.Length != HexLength)
        {
            error = $"a PDQ hash is {HexLength} hex digits, got {hex.Length} characters";
            return false;
        }

        Span<ulong> limbs = stackalloc ulong[4];
        for (var i = 0; i < HexLength; i++)
        {
            var nibble = HexValue(hex[i]);
            if (nibble < 0)
            {
                error = $"a PDQ hash is {HexLength} hex digits; character {i + 1} is not a hex digit";
                return false;
            }

            // Character 0 is the most significant nibble: it belongs to limb 3.
            var limb = 3 - (i >> 4);
            limbs[limb] = (limbs[limb] << 4) | (uint)nibble;
        }

        hash = new Hash256(limbs[0], limbs[1], limbs[2], limbs[3]);
        error = null;
        return true;
    }

    /// <summary>Reads the 32-byte big-endian form (the bytes of the hex string).</summary>
    public static Hash256 FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != ByteLength)
        {
            throw new ArgumentException($"a PDQ hash is {ByteLength} bytes, got {bytes.Length}", nameof(bytes));
        }

        return new Hash256(
            BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(bytes));
    }

    /// <summary>Writes the 32-byte big-endian form (the bytes of the hex string).</summary>
    public void WriteBytes(Span<byte> destination)
    {
        if (destination.Length < ByteLength)
        {
            throw new ArgumentException($"a PDQ hash needs {ByteLength} bytes", nameof(destination));
        }

        BinaryPrimitives.WriteUInt64BigEndian(destination, _limb3);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _limb2);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], _limb1);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], _limb0);
    }

    /// <summary>The 32-byte big-endian form as a new array.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[ByteLength];
        WriteBytes(bytes);
        return bytes;
    }

    /// <summary>64 lowercase hex digits, exactly as the reference prints the hash.</summary>
    public override string ToString() => string.Create(HexLength, this, static (span, hash) => hash.TryFormat(span, out _, default, null));

    /// <inheritdoc />
    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    /// <inheritdoc />
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        if (destination.Length < HexLength)
        {
            charsWritten = 0;
            return false;
        }

        for (var limb = 3; limb >= 0; limb--)
        {
            var value = this[limb];
            var offset = (3 - limb) * 16;
            for (var i = 15; i >= 0; i--)
            {
                destination[offset + i] = "0123456789abcdef"[(int)(value & 0xF)];
                value >>= 4;
            }
        }

        charsWritten = HexLength;
        return true;
    }

    /// <inheritdoc />
    public bool Equals(Hash256 other) =>
        _limb0 == other._limb0 && _limb1 == other._limb1 && _limb2 == other._limb2 && _limb3 == other._limb3;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Hash256 other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_limb0, _limb1, _limb2, _limb3);

    /// <summary>Orders hashes as the 256-bit numbers they are.</summary>
    public int CompareTo(Hash256 other)
    {
        var c = _limb3.CompareTo(other._limb3);
        if (c != 0)
        {
            return c;
        }

        c = _limb2.CompareTo(other._limb2);
        if (c != 0)
        {
            return c;
        }

        c = _limb1.CompareTo(other._limb1);
        return c != 0 ? c : _limb0.CompareTo(other._limb0);
    }

    public static bool operator ==(Hash256 left, Hash256 right) => left.Equals(right);

    public static bool operator !=(Hash256 left, Hash256 right) => !left.Equals(right);

    public static bool operator <(Hash256 left, Hash256 right) => left.CompareTo(right) < 0;

    public static bool operator >(Hash256 left, Hash256 right) => left.CompareTo(right) > 0;

    public static bool operator <=(Hash256 left, Hash256 right) => left.CompareTo(right) <= 0;

    public static bool operator >=(Hash256 left, Hash256 right) => left.CompareTo(right) >= 0;

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}
