namespace HashForum.Imaging;

/// <summary>
/// Why an upload could not be turned into pixels. Each value maps to one client-facing status.
/// </summary>
public enum ImageDecodeError
{
    /// <summary>No bytes were sent.</summary>
    Empty,

    /// <summary>The input, its dimensions, or the memory needed to decode it exceed the configured limits.</summary>
    TooLarge,

    /// <summary>Not JPEG, PNG, GIF or WebP (BMP, TIFF, TGA, PBM, unknown bytes), or a feature of those formats that is not supported (e.g. animated WebP).</summary>
    UnsupportedFormat,

    /// <summary>The data is damaged: a bad header, a bad checksum, an impossible structure.</summary>
    Corrupt,

    /// <summary>The data ends before the image does (an interrupted upload or copy).</summary>
    Truncated,

    /// <summary>The image is within the size limits but would cost too much work to decode (too many JPEG scans, or the time budget ran out).</summary>
    TooComplex,
}
