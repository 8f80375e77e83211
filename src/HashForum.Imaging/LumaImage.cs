using System.Buffers;

namespace HashForum.Imaging;

/// <summary>
/// The luminance of a decoded image: <see cref="Width"/> x <see cref="Height"/> floats, row-major,
/// in a pooled buffer that goes back to the pool on <see cref="Dispose"/>. Not thread-safe.
/// </summary>
public sealed class LumaImage : IDisposable
{
    private IMemoryOwner<float>? _buffer;

    internal LumaImage(IMemoryOwner<float> buffer, int width, int height, string format, bool fromGrey)
    {
        _buffer = buffer;
        Width = width;
        Height = height;
        Format = format;
        FromGrey = fromGrey;
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>The container the pixels came from: "jpeg", "png", "gif" or "webp".</summary>
    public string Format { get; }

    /// <summary>True when the file's samples were grey and were used as is (no RGB weighting).</summary>
    internal bool FromGrey { get; }

    /// <summary>
    /// BT.601 luminance in [0, 255], unrounded, as the PDQ reference computes it; row <c>y</c>
    /// starts at <c>y * Width</c>. Do not keep the span past <see cref="Dispose"/>.
    /// </summary>
    public ReadOnlySpan<float> Pixels =>
        (_buffer ?? throw new ObjectDisposedException(nameof(LumaImage))).Memory.Span[..(Width * Height)];

    /// <summary>Returns the buffer to the pool. Safe to call more than once.</summary>
    public void Dispose() => Interlocked.Exchange(ref _buffer, null)?.Dispose();
}
