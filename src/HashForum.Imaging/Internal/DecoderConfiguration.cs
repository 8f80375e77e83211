using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.Metadata;

namespace HashForum.Imaging.Internal;

/// <summary>
/// Our own ImageSharp <see cref="Configuration"/>: four decoders, no encoders, metadata ignored.
/// </summary>
/// <remarks>
/// <see cref="Configuration.Default"/> registers every format ImageSharp has, BMP and TIFF included,
/// whose 2.1 decoders have known unfixed memory and loop flaws, and every encoder. Here only the
/// JPEG, PNG, GIF and WebP decoders exist, so the TIFF and BMP code (and the 2026 TIFF advisories)
/// cannot be reached through it, and nothing can be encoded. Every decoder has
/// <c>IgnoreMetadata = true</c>: EXIF, XMP, IPTC and ICC segments are skipped unread (the 2026 ICC
/// parsing advisory), and EXIF orientation is ignored as the PDQ reference ignores it.
/// </remarks>
internal sealed class DecoderConfiguration
{
    public DecoderConfiguration(MemoryAllocator allocator)
    {
        Configuration = new Configuration { MemoryAllocator = allocator };
        var formats = Configuration.ImageFormatsManager;

        formats.AddImageFormat(JpegFormat.Instance);
        formats.AddImageFormatDetector(new JpegImageFormatDetector());
        formats.SetDecoder(JpegFormat.Instance, Jpeg);

        formats.AddImageFormat(PngFormat.Instance);
        formats.AddImageFormatDetector(new PngImageFormatDetector());
        formats.SetDecoder(PngFormat.Instance, Png);

        formats.AddImageFormat(GifFormat.Instance);
        formats.AddImageFormatDetector(new GifImageFormatDetector());
        formats.SetDecoder(GifFormat.Instance, Gif);

        formats.AddImageFormat(WebpFormat.Instance);
        formats.AddImageFormatDetector(new WebpImageFormatDetector());
        formats.SetDecoder(WebpFormat.Instance, Webp);
    }

    public Configuration Configuration { get; }

    public JpegDecoder Jpeg { get; } = new() { IgnoreMetadata = true };

    public PngDecoder Png { get; } = new() { IgnoreMetadata = true };

    // First frame only, belt and braces: GifStructure already cut the input after the first image.
    public GifDecoder Gif { get; } = new() { IgnoreMetadata = true, DecodingMode = FrameDecodingMode.First, MaxFrames = 1 };

    public WebpDecoder Webp { get; } = new() { IgnoreMetadata = true };
}
