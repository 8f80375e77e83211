namespace HashForum.Imaging;

/// <summary>
/// Limits applied to every untrusted image, bound from the configuration section
/// <see cref="SectionName"/>. The defaults fit a photo-sharing service; each can be lowered.
/// </summary>
public sealed class ImageLimits
{
    /// <summary>The configuration section these limits are bound from.</summary>
    public const string SectionName = "HashForum:Images";

    /// <summary>
    /// The largest pixel count <see cref="MaxPixels"/> may be set to: the luminance buffer holds
    /// 4 bytes a pixel in one contiguous block, and ImageSharp caps a single block at 1 GiB.
    /// </summary>
    public const long MaxPixelsCeiling = (1L << 30) / sizeof(float);

    /// <summary>Longest side accepted, in pixels.</summary>
    public int MaxSide { get; set; } = 16384;

    /// <summary>Largest width times height accepted.</summary>
    public long MaxPixels { get; set; } = 50_000_000;

    /// <summary>Largest upload accepted, in bytes.</summary>
    public long MaxInputBytes { get; set; } = 32 * 1024 * 1024;

    /// <summary>
    /// Second fence behind the dimension checks: the most memory one decode may hold at once
    /// (ImageSharp's working buffers, the decoded pixels and the luminance buffer together).
    /// Measured peaks are 7 to 12 bytes a pixel (lossless WebP the highest), so the default holds a
    /// 50-megapixel image of any format with room to spare (about 21 bytes a pixel).
    /// </summary>
    public long MaxDecodeMemoryBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>Memory ImageSharp may keep pooled between decodes, in MiB.</summary>
    public int MemoryPoolMegabytes { get; set; } = 64;

    /// <summary>
    /// Most JPEG scans accepted. Each progressive scan can revisit every block of the image, so a
    /// small file with thousands of scans is a CPU bomb; ordinary progressive JPEGs have about 10.
    /// </summary>
    public int MaxJpegScans { get; set; } = 100;

    /// <summary>Time budget for decoding one image; past it the decode is abandoned where the decoder allows it.</summary>
    public TimeSpan DecodeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Throws <see cref="ArgumentOutOfRangeException"/> when a limit is out of range, so that a bad
    /// configuration fails at start-up rather than on the first upload.
    /// </summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSide, 1, nameof(MaxSide));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPixels, 1, nameof(MaxPixels));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxPixels, MaxPixelsCeiling, nameof(MaxPixels));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxInputBytes, 1, nameof(MaxInputBytes));

        // The input is handed over as one span, so it cannot exceed what an array can hold.
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxInputBytes, Array.MaxLength, nameof(MaxInputBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDecodeMemoryBytes, 1024 * 1024, nameof(MaxDecodeMemoryBytes));
        ArgumentOutOfRangeException.ThrowIfNegative(MemoryPoolMegabytes, nameof(MemoryPoolMegabytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxJpegScans, 1, nameof(MaxJpegScans));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(DecodeTimeout, TimeSpan.Zero, nameof(DecodeTimeout));
    }

    /// <summary>
    /// Like <see cref="Validate"/>, but returns the problem instead of throwing, for an options
    /// validator (<c>IValidateOptions</c>) at start-up.
    /// </summary>
    public bool TryValidate(out string? problem)
    {
        try
        {
            Validate();
            problem = null;
            return true;
        }
        catch (ArgumentOutOfRangeException exception)
        {
            problem = $"{SectionName}: {exception.Message}";
            return false;
        }
    }

    internal ImageLimits Clone() => (ImageLimits)MemberwiseClone();
}
