using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using HashForum.Hashing.Pdq;
using HashForum.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace HashForum.Benchmarks;

/// <summary>
/// Decoding an untrusted 1-megapixel upload (1250x800) into luminance. The baseline is a bare
/// ImageSharp <c>Image.Load&lt;Rgb24&gt;</c> plus the BT.601 conversion, measured in the same run,
/// so the ratio is the price of the defences (structure walk, PNG CRCs, identify-first, counted
/// pool, budgets), or for JPEG the gain of our own decoder (Internal/Jpeg). Decode + hash is the
/// issue-2 bar (120 images/s on one core for JPEG); the ImageSharp path with the same defences is
/// measured beside it.
/// </summary>
[MemoryDiagnoser]
public class DecodeBenchmarks
{
    private const int Width = 1250;
    private const int Height = 800;

    private readonly ImageDecoder _decoder = new();
    private readonly ImageDecoder _imageSharpPath = new() { JpegFastPath = false };
    private readonly PdqHasher _hasher = new();
    private readonly float[] _luma = new float[Width * Height];
    private byte[] _data = [];

    [Params("jpeg", "png", "gif", "webp")]
    public string Format { get; set; } = "jpeg";

    [GlobalSetup]
    public void Setup()
    {
        using var image = new Image<Rgb24>(Width, Height);
        var random = new Random(7);
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                // A smooth picture with a little noise: compresses like a photo, not like static.
                image[x, y] = new Rgb24((byte)(x * 255 / Width), (byte)(y * 255 / Height), (byte)(((x + y) / 8 % 2 * 128) + random.Next(16)));
            }
        }

        IImageEncoder encoder = Format switch
        {
            "jpeg" => new JpegEncoder { Quality = 85 },
            "png" => new PngEncoder(),
            "gif" => new GifEncoder(),
            _ => new WebpEncoder { Quality = 80 },
        };
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        _data = stream.ToArray();
    }

    [Benchmark(Baseline = true, Description = "bare ImageSharp load + BT.601")]
    public float Bare()
    {
        using var image = Image.Load<Rgb24>(_data);
        image.ProcessPixelRows(accessor =>
        {
            for (var y = 0; y < accessor.Height; y++)
            {
                Luminance.FromRgb24(MemoryMarshal.AsBytes(accessor.GetRowSpan(y)), _luma.AsSpan(y * Width, Width));
            }
        });
        return _luma[0];
    }

    [Benchmark(Description = "ImageDecoder.Decode (untrusted)")]
    public float Guarded()
    {
        using var luma = _decoder.Decode(_data);
        return luma.Pixels[0];
    }

    [Benchmark(Description = "ImageDecoder.Decode + PdqHasher.Hash")]
    public PdqHash GuardedAndHashed()
    {
        using var luma = _decoder.Decode(_data);
        return _hasher.Hash(luma.Pixels, luma.Width, luma.Height);
    }

    [Benchmark(Description = "ImageSharp path (JPEG fast path off) + PdqHasher.Hash")]
    public PdqHash ImageSharpPathAndHashed()
    {
        using var luma = _imageSharpPath.Decode(_data);
        return _hasher.Hash(luma.Pixels, luma.Width, luma.Height);
    }
}
