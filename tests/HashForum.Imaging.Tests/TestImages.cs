using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace HashForum.Imaging.Tests;

/// <summary>
/// Small images made in the tests. Encoding is test-only: production code never encodes.
/// </summary>
internal static class TestImages
{
    /// <summary>Deterministic noise with some structure, so that codecs have real work to do.</summary>
    public static Image<Rgba32> Noise(int width, int height, int seed = 1)
    {
        var random = new Random(seed);
        var image = new Image<Rgba32>(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                image[x, y] = new Rgba32(
                    (byte)((x * 255 / Math.Max(1, width - 1)) ^ random.Next(32)),
                    (byte)((y * 255 / Math.Max(1, height - 1)) ^ random.Next(32)),
                    (byte)random.Next(256),
                    (byte)random.Next(256));
            }
        }

        return image;
    }

    /// <summary>Gradients with a little noise: compresses like a photo and encodes quickly.</summary>
    public static Image<Rgba32> Smooth(int width, int height, int seed = 1)
    {
        var random = new Random(seed);
        var image = new Image<Rgba32>(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                image[x, y] = new Rgba32((byte)(x * 255 / width), (byte)(y * 255 / height), (byte)((((x + y) / 8) % 2 * 128) + random.Next(16)));
            }
        }

        return image;
    }

    /// <summary>One colour: quick to encode at any size, for tests about size rather than content.</summary>
    public static Image<Rgba32> Solid(int width, int height) => new(width, height, new Rgba32(40, 120, 200));

    public static byte[] Encode(Image image, IImageEncoder encoder)
    {
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }

    public static byte[] Png(int width = 48, int height = 32, PngColorType colorType = PngColorType.Rgb, PngBitDepth bitDepth = PngBitDepth.Bit8, int seed = 1)
    {
        using var image = Noise(width, height, seed);
        return Encode(image, new PngEncoder { ColorType = colorType, BitDepth = bitDepth });
    }

    public static byte[] Jpeg(int width = 48, int height = 32, JpegColorType colorType = JpegColorType.YCbCrRatio420, int seed = 1)
    {
        using var image = Noise(width, height, seed);
        return Encode(image, new JpegEncoder { Quality = 90, ColorType = colorType });
    }

    public static byte[] Gif(int width = 48, int height = 32, int seed = 1)
    {
        using var image = Noise(width, height, seed);
        return Encode(image, new GifEncoder());
    }

    public static byte[] WebpLossless(int width = 48, int height = 32, int seed = 1)
    {
        using var image = Noise(width, height, seed);
        return Encode(image, new WebpEncoder { FileFormat = WebpFileFormatType.Lossless });
    }

    public static byte[] WebpLossy(int width = 48, int height = 32, int seed = 1)
    {
        using var image = Noise(width, height, seed);
        return Encode(image, new WebpEncoder { FileFormat = WebpFileFormatType.Lossy, Quality = 80 });
    }

    /// <summary>One small valid image of each accepted format, named for test output.</summary>
    public static IEnumerable<TestCaseData> EachFormat()
    {
        yield return new TestCaseData("jpeg", Jpeg()).SetArgDisplayNames("jpeg");
        yield return new TestCaseData("png", Png()).SetArgDisplayNames("png");
        yield return new TestCaseData("gif", Gif()).SetArgDisplayNames("gif");
        yield return new TestCaseData("webp", WebpLossless()).SetArgDisplayNames("webp-lossless");
        yield return new TestCaseData("webp", WebpLossy()).SetArgDisplayNames("webp-lossy");
    }
}
