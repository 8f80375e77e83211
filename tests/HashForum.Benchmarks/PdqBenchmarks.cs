using BenchmarkDotNet.Attributes;
using HashForum.Hashing.Pdq;
using HashForum.Hashing.Pdq.Internal;
using HashForum.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace HashForum.Benchmarks;

/// <summary>
/// PDQ on a 1-megapixel image (1250x800), single-threaded. The baseline is <see cref="PlainPdq"/>,
/// PDQ.md written out step by step (the shape of the C++ reference), measured in the same run.
/// </summary>
[MemoryDiagnoser]
public class PdqBenchmarks
{
    private const int Width = 1250;
    private const int Height = 800;

    private readonly PdqHasher _hasher = new();
    private readonly ImageDecoder _decoder = new();
    private float[] _luma = [];
    private byte[] _rgb = [];
    private float[] _lumaScratch = [];
    private byte[] _jpeg = [];

    [GlobalSetup]
    public void Setup()
    {
        using var image = LoadPhoto();
        image.Mutate(x => x.Resize(Width, Height));
        _rgb = new byte[Width * Height * 3];
        image.CopyPixelDataTo(_rgb);
        _luma = new float[Width * Height];
        Luminance.FromRgb24(_rgb, _luma);
        _lumaScratch = new float[Width * Height];
        using var stream = new MemoryStream();
        image.SaveAsJpeg(stream, new JpegEncoder { Quality = 85 });
        _jpeg = stream.ToArray();
    }

    [Benchmark(Baseline = true, Description = "plain PDQ from luma (reference shape)")]
    public PdqHash PlainFromLuma() => PlainPdq.Hash(_luma, Width, Height);

    [Benchmark(Description = "PDQ from luma")]
    public PdqHash FromLuma() => _hasher.Hash(_luma, Width, Height);

    [Benchmark(Description = "PDQ + 7 dihedral variants from luma")]
    public DihedralHashes DihedralFromLuma() => _hasher.HashDihedral(_luma, Width, Height);

    [Benchmark(Description = "PDQ from decoded RGB pixels (luma + hash)")]
    public PdqHash FromRgb()
    {
        Luminance.FromRgb24(_rgb, _lumaScratch);
        return _hasher.Hash(_lumaScratch, Width, Height);
    }

    [Benchmark(Description = "PDQ from decoded RGB pixels (fused: HashRgb24)")]
    public PdqHash FromRgbFused() => _hasher.HashRgb24(_rgb, Width, Height);

    [Benchmark(Description = "PDQ + 7 dihedral variants from decoded RGB pixels (fused)")]
    public DihedralHashes DihedralFromRgbFused() => _hasher.HashDihedralRgb24(_rgb, Width, Height);

    [Benchmark(Description = "decode 1 MP JPEG + PDQ")]
    public PdqHash DecodeJpegAndHash()
    {
        using var luma = _decoder.Decode(_jpeg);
        return _hasher.Hash(luma.Pixels, luma.Width, luma.Height);
    }

    /// <summary>A real photo from ../shared/testdata/pdq when present, else a synthetic one.</summary>
    private static Image<Rgb24> LoadPhoto()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var photo = Path.Combine(dir.FullName, "..", "shared", "testdata", "pdq", "pdq-data", "bridge-mods", "aaa-orig.jpg");
            if (File.Exists(Path.Combine(dir.FullName, "HashForum.sln")) && File.Exists(photo))
            {
                return Image.Load<Rgb24>(photo);
            }
        }

        var image = new Image<Rgb24>(Width, Height);
        var random = new Random(1);
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                image[x, y] = new Rgb24((byte)(x * 255 / Width), (byte)(y * 255 / Height), (byte)random.Next(256));
            }
        }

        return image;
    }
}
