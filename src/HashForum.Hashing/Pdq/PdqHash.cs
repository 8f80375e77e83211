namespace HashForum.Hashing.Pdq;

/// <summary>A PDQ hash and its quality (0..100; below 50 the image is too flat to match on).</summary>
/// <param name="Hash">The 256-bit hash.</param>
/// <param name="Quality">The reference's image-domain gradient quality metric, 0..100.</param>
public readonly record struct PdqHash(Hash256 Hash, int Quality)
{
    /// <summary>Quality under which a hash is too flat to trust (HMA's and Meta's threshold).</summary>
    public const int MinimumUsefulQuality = 50;

    /// <summary>The usual match radius (Meta's recommendation, HMA's default).</summary>
    public const int DefaultMatchDistance = 31;
}
