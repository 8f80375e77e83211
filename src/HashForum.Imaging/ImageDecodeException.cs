namespace HashForum.Imaging;

/// <summary>
/// Thrown when an upload cannot be decoded. <see cref="Exception.Message"/> is written for the
/// person who sent the image: it says what to fix and names no library internals, so a server may
/// return it as is. <see cref="Exception.InnerException"/>, when set, is for logs only.
/// </summary>
public sealed class ImageDecodeException : Exception
{
    public ImageDecodeException()
        : this(ImageDecodeError.Corrupt, "The image could not be decoded.")
    {
    }

    public ImageDecodeException(string message)
        : this(ImageDecodeError.Corrupt, message)
    {
    }

    public ImageDecodeException(string message, Exception innerException)
        : this(ImageDecodeError.Corrupt, message, innerException)
    {
    }

    public ImageDecodeException(ImageDecodeError error, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
    }

    /// <summary>The kind of failure.</summary>
    public ImageDecodeError Error { get; }
}
