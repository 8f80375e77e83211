namespace HashForum.Hashing.Pdq;

/// <summary>
/// The eight symmetries of the square under which PDQ can match an image, in the reference's order
/// (<c>pdq-photo-hasher --pdqdih-across</c>).
/// </summary>
public enum DihedralVariant
{
    /// <summary>The image as stored.</summary>
    Original = 0,

    /// <summary>Rotated 90 degrees.</summary>
    Rot90 = 1,

    /// <summary>Rotated 180 degrees.</summary>
    Rot180 = 2,

    /// <summary>Rotated 270 degrees.</summary>
    Rot270 = 3,

    /// <summary>Flipped top to bottom.</summary>
    FlipX = 4,

    /// <summary>Mirrored left to right.</summary>
    FlipY = 5,

    /// <summary>Transposed (flipped about the main diagonal).</summary>
    FlipPlus1 = 6,

    /// <summary>Flipped about the anti-diagonal.</summary>
    FlipMinus1 = 7,
}

/// <summary>Names of the variants as the CLI and the API print them.</summary>
public static class DihedralVariantNames
{
    private static readonly string[] Names = ["original", "rot90", "rot180", "rot270", "flipx", "flipy", "flipplus1", "flipminus1"];

    /// <summary>The lowercase name: <c>original rot90 rot180 rot270 flipx flipy flipplus1 flipminus1</c>.</summary>
    public static string ToName(this DihedralVariant variant) => Names[(int)variant];

    /// <summary>Parses a lowercase name back.</summary>
    public static bool TryParse(string name, out DihedralVariant variant)
    {
        var index = Array.IndexOf(Names, name);
        variant = (DihedralVariant)Math.Max(index, 0);
        return index >= 0;
    }
}

/// <summary>Eight hashes stored inline, so a dihedral result costs no heap allocation.</summary>
[System.Runtime.CompilerServices.InlineArray(8)]
internal struct EightHashes
{
    private Hash256 _first;
}

/// <summary>The eight dihedral hashes of one image, all from one DCT, with the image's quality.</summary>
public readonly struct DihedralHashes
{
    private readonly EightHashes _hashes;

    internal DihedralHashes(EightHashes hashes, int quality)
    {
        _hashes = hashes;
        Quality = quality;
    }

    /// <summary>The quality of the image (the same for every variant).</summary>
    public int Quality { get; }

    /// <summary>The hash of one variant.</summary>
    public Hash256 this[DihedralVariant variant] => _hashes[(int)variant];

    /// <summary>The hash of the image as stored.</summary>
    public Hash256 Original => _hashes[0];

    /// <summary>All eight, in <see cref="DihedralVariant"/> order, as a new array.</summary>
    public Hash256[] ToArray() => ((ReadOnlySpan<Hash256>)_hashes).ToArray();
}
