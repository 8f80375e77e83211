namespace HashForum.Imaging.Internal;

/// <summary>
/// The messages callers see. They say what is wrong with the upload and what to do about it, and
/// never quote a library message (those name internal types and offsets).
/// </summary>
internal static class DecodeErrors
{
    public static ImageDecodeException Truncated(string format) =>
        new(ImageDecodeError.Truncated, $"The {format} file is truncated: it ends before the image does. Upload the complete file.");

    public static ImageDecodeException Corrupt(string format, string problem, Exception? inner = null) =>
        new(ImageDecodeError.Corrupt, $"The {format} file is corrupt: {problem}. Upload an undamaged copy.", inner);

    public static ImageDecodeException Undecodable(string format, Exception inner) =>
        new(ImageDecodeError.Corrupt, $"The {format} file is corrupt: its image data cannot be decoded. Upload an undamaged copy.", inner);

    public static ImageDecodeException Unsupported(string format, string feature, Exception? inner = null) =>
        new(ImageDecodeError.UnsupportedFormat, $"The {format} file uses {feature}, which is not supported. Re-save it as a plain JPEG or PNG.", inner);

    public static ImageDecodeException TooManyScans(int scans, int limit) =>
        new(ImageDecodeError.TooComplex, $"The JPEG file has {scans} or more scans; at most {limit} are accepted. Re-save it as a baseline JPEG.");

    public static ImageDecodeException TimedOut(string format, TimeSpan budget, Exception inner) =>
        new(ImageDecodeError.TooComplex, $"The {format} file took longer than {budget.TotalSeconds:0.#} s to decode. Re-save it as a baseline JPEG or a PNG, or send a smaller image.", inner);

    public static ImageDecodeException OutOfMemoryBudget(string format, Exception inner) =>
        new(ImageDecodeError.TooLarge, $"Decoding the {format} file would need more memory than allowed. Send a smaller image.", inner);
}
