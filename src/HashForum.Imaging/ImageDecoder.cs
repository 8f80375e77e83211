using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using HashForum.Hashing.Pdq;
using HashForum.Imaging.Internal;
using HashForum.Imaging.Internal.Jpeg;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.PixelFormats;

namespace HashForum.Imaging;

/// <summary>
/// Decodes untrusted JPEG, PNG, GIF (first frame) and WebP uploads into PDQ luminance.
/// Thread-safe; make one per process.
/// </summary>
/// <remarks>
/// <para>
/// Order of defences, cheapest first: input size; container signature (anything but the four
/// formats is refused, and BMP/TIFF decoders do not even exist in our configuration); a walk of the
/// container structure (truncation, checksums, JPEG scan count, GIF cut after the first image);
/// the header dimensions from ImageSharp's Identify, checked against the limits before any pixel
/// buffer exists; then the decode itself under a memory budget (<see cref="CountingMemoryAllocator"/>)
/// and a time budget (<see cref="DecodeDeadline"/>).
/// </para>
/// <para>
/// Pixels: grey images (PNG grey or grey+alpha at any bit depth, greyscale JPEG) are decoded to
/// 8-bit grey and used as is, as the PDQ reference does (routing grey through the RGB weights
/// would change bits: 0.299f + 0.587f + 0.114f is not exactly 1). So are colour files whose every
/// pixel is neutral (R = G = B), because the reference's decoder turns those into grey images.
/// Everything else is decoded to 8-bit RGB and weighted by <see cref="Luminance.FromRgb24"/>.
/// Alpha is dropped, not composited (a transparent GIF or palette pixel keeps its palette RGB).
/// 16-bit samples are scaled to 8 bits by ImageSharp (the reference hashes the low byte, a quirk
/// we do not copy). EXIF orientation is ignored. CMYK JPEGs use ImageSharp's conversion to RGB.
/// </para>
/// <para>
/// JPEG fast path: baseline and extended sequential Huffman JPEGs (8-bit, grey or YCbCr) are not
/// decoded by ImageSharp but by our own decoder (<see cref="JpegLumaDecoder"/>), which goes
/// straight to luminance without making an RGB image, computing it as the PDQ reference's decoder
/// (ImageMagick on libjpeg) does: float IDCT, fancy chroma upsampling, integer YCbCr to RGB with
/// clamping. Its own header walk stands in for Identify, and the dimension checks still come
/// before any pixel buffer. Grey JPEGs, and colour JPEGs whose chroma is all zero (neutral
/// pictures), give the decoded grey as is. Progressive, arithmetic-coded, 12-bit, lossless, CMYK,
/// YCCK and RGB (Adobe transform 0) files take the ImageSharp path above, unchanged.
/// </para>
/// </remarks>
public sealed class ImageDecoder
{
    private readonly ImageLimits _limits;
    private readonly CountingMemoryAllocator _allocator;
    private readonly DecoderConfiguration _decoders;

    /// <summary>Creates a decoder; <paramref name="limits"/> is copied and validated.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A limit is out of range.</exception>
    public ImageDecoder(ImageLimits? limits = null)
    {
        _limits = (limits ?? new ImageLimits()).Clone();
        _limits.Validate();
        _allocator = new CountingMemoryAllocator(_limits.MemoryPoolMegabytes, _limits.MaxDecodeMemoryBytes);
        _decoders = new DecoderConfiguration(_allocator);
    }

    /// <summary>Buffers from this decoder's pool not yet returned (for health checks and tests).</summary>
    public long OutstandingBuffers => _allocator.OutstandingBuffers;

    internal CountingMemoryAllocator Allocator => _allocator;

    internal Configuration Configuration => _decoders.Configuration;

    internal DecoderConfiguration Decoders => _decoders;

    /// <summary>
    /// Whether eligible JPEGs take the luma-only decoder (on by default; tests and benchmarks turn
    /// it off to compare with the ImageSharp path). Set it before the first decode.
    /// </summary>
    internal bool JpegFastPath { get; set; } = true;

    /// <summary>
    /// Reads the format and dimensions from the headers, after the same input and structure checks
    /// as <see cref="Decode"/>. The dimension limits are not applied, so a caller can report them.
    /// </summary>
    /// <exception cref="ImageDecodeException">The input is empty, too large, not a supported format, truncated or corrupt.</exception>
    public ImageInfo Identify(ReadOnlySpan<byte> data)
    {
        var kind = Prepare(data, enforceDimensions: false, out var end, out var gifControlFlags);
        using var arena = _allocator.BeginArena(_limits.MaxDecodeMemoryBytes);
        using var deadline = new DecodeDeadline(_limits.DecodeTimeout);
        IMemoryOwner<byte>? gifCopy = null;
        try
        {
            var input = kind == ContainerKind.Gif ? CopyFirstGifImage(data, end, gifControlFlags, out gifCopy) : data;
            var header = ReadHeader(kind, input, deadline);
            return new ImageInfo(ContainerSniffer.Name(kind), header.Width, header.Height);
        }
        catch (Exception exception) when (exception is not ImageDecodeException and not OutOfMemoryException)
        {
            throw Translate(exception, kind, deadline.Expired, arena.BudgetExceeded);
        }
        finally
        {
            gifCopy?.Dispose();
        }
    }

    /// <summary>
    /// Decodes an upload into luminance. The caller owns the result and must dispose it.
    /// </summary>
    /// <exception cref="ImageDecodeException">The image cannot be decoded; <see cref="ImageDecodeException.Error"/> says why.</exception>
    public LumaImage Decode(ReadOnlySpan<byte> data)
    {
        var kind = Prepare(data, enforceDimensions: true, out var end, out var gifControlFlags);
        using var arena = _allocator.BeginArena(_limits.MaxDecodeMemoryBytes);
        using var deadline = new DecodeDeadline(_limits.DecodeTimeout);
        IMemoryOwner<byte>? gifCopy = null;
        try
        {
            var input = kind == ContainerKind.Gif ? CopyFirstGifImage(data, end, gifControlFlags, out gifCopy) : data;

            // Eligible JPEGs take our luma-only decoder (Internal/Jpeg); its own header walk
            // stands in for ImageSharp's Identify, and the same dimension checks come first.
            if (kind == ContainerKind.Jpeg && JpegFastPath && JpegLumaDecoder.TryReadFrame(input) is { } frame)
            {
                CheckDimensions(frame.Width, frame.Height, allowEmpty: false);
                deadline.ThrowIfExpired();
                return JpegLumaDecoder.Decode(input, frame, _allocator, deadline);
            }

            // Dimensions first: nothing the size of the image is allocated before they pass.
            var header = ReadHeader(kind, input, deadline);
            CheckDimensions(header.Width, header.Height, allowEmpty: false);
            deadline.ThrowIfExpired();
            return WithStream(input, stream => DecodeCore(kind, header, stream, deadline));
        }
        catch (Exception exception) when (exception is not ImageDecodeException and not OutOfMemoryException)
        {
            throw Translate(exception, kind, deadline.Expired, arena.BudgetExceeded);
        }
        finally
        {
            gifCopy?.Dispose();
        }
    }

    private static unsafe T WithStream<T>(ReadOnlySpan<byte> data, Func<Stream, T> action)
    {
        fixed (byte* pointer = data)
        {
            using var stream = new UnmanagedMemoryStream(pointer, data.Length);
            return action(stream);
        }
    }

    private ImageDecodeException Translate(Exception exception, ContainerKind kind, bool timedOut, bool budgetExceeded)
    {
        var format = ContainerSniffer.DisplayName(kind);
        if (exception is OperationCanceledException && timedOut)
        {
            return DecodeErrors.TimedOut(format, _limits.DecodeTimeout, exception);
        }

        if (budgetExceeded || exception is InvalidMemoryOperationException || exception.InnerException is InvalidMemoryOperationException)
        {
            return DecodeErrors.OutOfMemoryBudget(format, exception);
        }

        if (exception is NotSupportedException)
        {
            return DecodeErrors.Unsupported(format, "a feature of the format (such as animation, arithmetic coding or 12-bit samples)", exception);
        }

        // ImageFormatException, InvalidImageContentException, and whatever a decoder throws when
        // its input is inconsistent (index, argument and stream errors): the file is damaged.
        return DecodeErrors.Undecodable(format, exception);
    }

    /// <summary>Input checks and the structure walk; returns the container and where its data ends.</summary>
    private ContainerKind Prepare(ReadOnlySpan<byte> data, bool enforceDimensions, out int end, out int gifControlFlags)
    {
        if (data.IsEmpty)
        {
            throw new ImageDecodeException(ImageDecodeError.Empty, "The upload is empty. Send the image file's bytes.");
        }

        if (data.Length > _limits.MaxInputBytes)
        {
            throw new ImageDecodeException(
                ImageDecodeError.TooLarge,
                $"The file is {data.Length} bytes; the largest accepted is {_limits.MaxInputBytes} bytes. Send a smaller image.");
        }

        var kind = ContainerSniffer.Detect(data);
        end = data.Length;
        gifControlFlags = -1;
        switch (kind)
        {
            case ContainerKind.Jpeg:
                JpegStructure.Check(data, _limits.MaxJpegScans);
                break;
            case ContainerKind.Png:
                PngStructure.Check(data);
                break;
            case ContainerKind.Gif:
                (end, var frameWidth, var frameHeight, gifControlFlags) = GifStructure.FindEndOfFirstImage(data);

                // ImageSharp decodes every row of the frame's own width even where it lies outside
                // the logical screen, so the frame is held to the same limits as the screen.
                if (enforceDimensions)
                {
                    CheckDimensions(frameWidth, frameHeight, allowEmpty: true);
                }

                break;
            default:
                WebpStructure.Check(data);
                break;
        }

        return kind;
    }

    /// <summary>
    /// Copies the GIF up to the end of its first image, adds a trailer, and clears the image's
    /// transparency flag.
    /// </summary>
    /// <remarks>
    /// With the flag set, ImageSharp leaves transparent pixels as transparent black; the
    /// reference's decoders (ImageMagick writing PNM, Pillow converting to RGB) give them the RGB
    /// of their palette entry and drop alpha, which is our rule for every format. Without the flag,
    /// ImageSharp paints them with their palette colour too.
    /// </remarks>
    private ReadOnlySpan<byte> CopyFirstGifImage(ReadOnlySpan<byte> data, int end, int controlFlagsOffset, out IMemoryOwner<byte> copy)
    {
        copy = _allocator.Allocate<byte>(end + 1);
        var span = copy.Memory.Span;
        data[..end].CopyTo(span);
        span[end] = GifStructure.TrailerByte;
        if (controlFlagsOffset >= 0)
        {
            span[controlFlagsOffset] &= unchecked((byte)~GifStructure.TransparencyFlag);
        }

        return span[..(end + 1)];
    }

    private Header ReadHeader(ContainerKind kind, ReadOnlySpan<byte> input, DecodeDeadline deadline)
    {
        if (kind == ContainerKind.Gif)
        {
            // ImageSharp's GIF Identify runs the whole LZW decoder to skip the image data, half
            // the cost of a decode. The logical screen size it would report is bytes 6-9, which
            // GifStructure has seen, and it is the size of the image the decoder makes.
            return new Header(BinaryPrimitives.ReadUInt16LittleEndian(input[6..]), BinaryPrimitives.ReadUInt16LittleEndian(input[8..]), IsGrey: false);
        }

        var info = WithStream(input, stream => IdentifyCore(kind, stream, deadline.Token));
        return new Header(info.Width, info.Height, IsGrey(kind, info));
    }

    private IImageInfo IdentifyCore(ContainerKind kind, Stream stream, CancellationToken cancellationToken)
    {
        var configuration = _decoders.Configuration;
        return kind switch
        {
            ContainerKind.Jpeg => _decoders.Jpeg.Identify(configuration, stream, cancellationToken),
            ContainerKind.Png => _decoders.Png.Identify(configuration, stream, cancellationToken),
            _ => _decoders.Webp.Identify(configuration, stream, cancellationToken),
        };
    }

    private Image<TPixel> DecodePixels<TPixel>(ContainerKind kind, Stream stream, CancellationToken cancellationToken)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        var configuration = _decoders.Configuration;
        return kind switch
        {
            ContainerKind.Jpeg => _decoders.Jpeg.Decode<TPixel>(configuration, stream, cancellationToken),
            ContainerKind.Png => _decoders.Png.Decode<TPixel>(configuration, stream, cancellationToken),
            ContainerKind.Gif => _decoders.Gif.Decode<TPixel>(configuration, stream, cancellationToken),
            _ => _decoders.Webp.Decode<TPixel>(configuration, stream, cancellationToken),
        };
    }

    private LumaImage DecodeCore(ContainerKind kind, Header header, Stream stream, DecodeDeadline deadline)
    {
        var format = ContainerSniffer.Name(kind);
        if (header.IsGrey)
        {
            using var grey = DecodePixels<L8>(kind, stream, deadline.Token);
            deadline.ThrowIfExpired();
            CheckSameSize(kind, header, grey);
            return ToLuma(grey, format, fromGrey: true, static (row, luma) => Luminance.FromGray8(MemoryMarshal.AsBytes(row), luma));
        }

        using var colour = DecodePixels<Rgb24>(kind, stream, deadline.Token);
        deadline.ThrowIfExpired();
        CheckSameSize(kind, header, colour);
        if (IsNeutral(colour))
        {
            // A colour file whose every pixel has R = G = B (a grey photo saved as colour): the
            // reference's decoder (ImageMagick writing PNM) sees a grey image and hashes the grey
            // value as is, so we do too. Two of the reference images are such JPEGs.
            return ToLuma(colour, format, fromGrey: true, static (row, luma) => RedAsGrey(row, luma));
        }

        return ToLuma(colour, format, fromGrey: false, static (row, luma) => Luminance.FromRgb24(MemoryMarshal.AsBytes(row), luma));
    }

    private static bool IsNeutral(Image<Rgb24> image)
    {
        var neutral = true;
        image.ProcessPixelRows(accessor =>
        {
            for (var y = 0; y < accessor.Height && neutral; y++)
            {
                foreach (ref readonly var pixel in accessor.GetRowSpan(y))
                {
                    if (pixel.R != pixel.G || pixel.G != pixel.B)
                    {
                        neutral = false;
                        return;
                    }
                }
            }
        });
        return neutral;
    }

    private static void RedAsGrey(Span<Rgb24> row, Span<float> luma)
    {
        for (var i = 0; i < row.Length; i++)
        {
            luma[i] = row[i].R;
        }
    }

    /// <summary>True for images whose samples are grey in the file, which the reference uses as is.</summary>
    private static bool IsGrey(ContainerKind kind, IImageInfo info) => kind switch
    {
        // Read from IHDR and SOF, which are parsed whatever IgnoreMetadata says.
        ContainerKind.Png => info.Metadata.GetPngMetadata().ColorType is PngColorType.Grayscale or PngColorType.GrayscaleWithAlpha,
        ContainerKind.Jpeg => info.Metadata.GetJpegMetadata().ColorType is JpegColorType.Luminance,
        _ => false,
    };

    private static void CheckSameSize<TPixel>(ContainerKind kind, Header header, Image<TPixel> image)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        if (image.Width != header.Width || image.Height != header.Height)
        {
            throw DecodeErrors.Corrupt(ContainerSniffer.DisplayName(kind), "its headers disagree about the image size");
        }
    }

    private LumaImage ToLuma<TPixel>(Image<TPixel> image, string format, bool fromGrey, RowConverter<TPixel> convert)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        var (width, height) = (image.Width, image.Height);
        var buffer = _allocator.AllocateForCaller<float>(width * height);
        try
        {
            var memory = buffer.Memory;
            image.ProcessPixelRows(accessor =>
            {
                var luma = memory.Span;
                for (var y = 0; y < accessor.Height; y++)
                {
                    convert(accessor.GetRowSpan(y), luma.Slice(y * width, width));
                }
            });
            return new LumaImage(buffer, width, height, format, fromGrey);
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    private void CheckDimensions(int width, int height, bool allowEmpty)
    {
        if (!allowEmpty && (width <= 0 || height <= 0))
        {
            throw new ImageDecodeException(ImageDecodeError.Corrupt, "The image has no pixels (its width or height is zero). Upload an undamaged copy.");
        }

        if (width > _limits.MaxSide || height > _limits.MaxSide || (long)width * height > _limits.MaxPixels)
        {
            throw new ImageDecodeException(
                ImageDecodeError.TooLarge,
                $"The image is {width}x{height} pixels; the largest accepted is {_limits.MaxSide} pixels a side and {_limits.MaxPixels} pixels in all. Send a smaller image.");
        }
    }

    private delegate void RowConverter<TPixel>(Span<TPixel> row, Span<float> luma)
        where TPixel : unmanaged, IPixel<TPixel>;

    /// <summary>What the headers say: the size, and whether the samples are grey.</summary>
    private readonly record struct Header(int Width, int Height, bool IsGrey);
}
