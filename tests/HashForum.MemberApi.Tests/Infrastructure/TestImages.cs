using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace HashForum.MemberApi.Tests.Infrastructure;

/// <summary>Images drawn for the tests: random coloured blocks (high PDQ quality) and flat ones (quality 0).</summary>
internal static class TestImages
{
    /// <summary>A PNG of random 16-pixel blocks; the same seed gives the same bytes.</summary>
    public static byte[] Blocks(int seed, int width = 256, int height = 256, int rotateDegrees = 0)
    {
        var random = new Random(seed);
        using var image = new Image<Rgb24>(width, height);
        var cells = new Rgb24[(width / 16) + 1, (height / 16) + 1];
        for (var x = 0; x < cells.GetLength(0); x++)
        {
            for (var y = 0; y < cells.GetLength(1); y++)
            {
                cells[x, y] = new Rgb24((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
            }
        }

        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                image[x, y] = cells[x / 16, y / 16];
            }
        }

        if (rotateDegrees != 0)
        {
            image.Mutate(c => c.Rotate(rotateDegrees));
        }

        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        return stream.ToArray();
    }

    /// <summary>A JPEG of <paramref name="width"/> x <paramref name="height"/> smooth noise (like a photo).</summary>
    public static byte[] Jpeg(int seed, int width, int height)
    {
        var random = new Random(seed);
        using var image = new Image<Rgb24>(width, height);
        var r = random.Next(256);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var v = (byte)((x * 7 + y * 3 + r + ((x / 37) * (y / 29) * 13)) & 0xFF);
                image[x, y] = new Rgb24(v, (byte)(255 - v), (byte)((v * 3) & 0xFF));
            }
        }

        using var stream = new MemoryStream();
        image.SaveAsJpeg(stream);
        return stream.ToArray();
    }

    /// <summary>A flat grey PNG: PDQ quality 0.</summary>
    public static byte[] Flat(int side = 128)
    {
        using var image = new Image<Rgb24>(side, side, new Rgb24(128, 128, 128));
        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        return stream.ToArray();
    }
}
