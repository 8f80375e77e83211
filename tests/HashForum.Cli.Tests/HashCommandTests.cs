using System.Text.Json;
using HashForum.Hashing.Pdq;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace HashForum.Cli.Tests;

/// <summary>
/// <c>hashforum hash</c> as a user runs it, in process (the command's own entry point with captured
/// output), on images the tests write to a temporary folder.
/// </summary>
[TestFixture]
public sealed class HashCommandTests
{
    private string _folder = string.Empty;

    [SetUp]
    public void CreateFolder()
    {
        _folder = Directory.CreateTempSubdirectory("hashforum-cli-").FullName;
    }

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    [Test]
    public void Hash_PngFile_PrintsHashQualityAndPath()
    {
        var path = WritePng("a.png", seed: 1);
        var expected = ExpectedHash(path);

        var (code, stdout, stderr) = Run("hash", path);

        Assert.Multiple(() =>
        {
            Assert.That(code, Is.Zero, stderr);
            Assert.That(stdout.Trim(), Is.EqualTo($"{expected.Hash} {expected.Quality} {path}"));
        });
    }

    [Test]
    public void Hash_FolderRecursively_HashesImagesInNameOrder()
    {
        var b = WritePng("b.png", seed: 2);
        Directory.CreateDirectory(Path.Combine(_folder, "sub"));
        var a = WritePng(Path.Combine("sub", "a.png"), seed: 3);
        var c = WritePng("c.png", seed: 4);
        File.WriteAllText(Path.Combine(_folder, "notes.txt"), "not an image, and not named like one");

        var (code, stdout, _) = Run("hash", "--jobs", "3", _folder);

        var paths = Lines(stdout).Select(line => line.Split(' ', 3)[2]).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.Zero);
            Assert.That(paths, Is.EqualTo(new[] { b, c, a }.OrderBy(p => p, StringComparer.Ordinal).ToList()));
        });
    }

    [Test]
    public void Hash_Json_PrintsEveryField()
    {
        var path = WritePng("a.png", seed: 5, width: 120, height: 90);
        var expected = ExpectedHash(path);
        var bytes = File.ReadAllBytes(path);

        var (code, stdout, _) = Run("hash", "--json", path);

        using var doc = JsonDocument.Parse(Lines(stdout).Single());
        var root = doc.RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.Zero);
            Assert.That(root.GetProperty("file").GetString(), Is.EqualTo(path));
            Assert.That(root.GetProperty("pdq").GetString(), Is.EqualTo(expected.Hash.ToString()));
            Assert.That(root.GetProperty("quality").GetInt32(), Is.EqualTo(expected.Quality));
#pragma warning disable CA5351 // MD5 is the exact-match signal the forum shares, not a security control.
            Assert.That(root.GetProperty("md5").GetString(), Is.EqualTo(Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(bytes))));
#pragma warning restore CA5351
            Assert.That(root.GetProperty("sha256").GetString(), Is.EqualTo(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes))));
            Assert.That(root.GetProperty("width").GetInt32(), Is.EqualTo(120));
            Assert.That(root.GetProperty("height").GetInt32(), Is.EqualTo(90));
            Assert.That(root.TryGetProperty("dihedral", out _), Is.False);
        });
    }

    [Test]
    public void Hash_JsonDihedral_PrintsSevenVariantsMatchingHashOfRotatedImage()
    {
        var path = WritePng("a.png", seed: 6, width: 200, height: 200);
        using (var image = Image.Load<Rgb24>(path))
        {
            image.Mutate(x => x.Rotate(RotateMode.Rotate180));
            image.SaveAsPng(Path.Combine(_folder, "rotated.png"));
        }

        var (code, stdout, _) = Run("hash", "--json", "--dihedral", path);
        var rotated = ExpectedHash(Path.Combine(_folder, "rotated.png"));

        using var doc = JsonDocument.Parse(Lines(stdout).Single());
        var dihedral = doc.RootElement.GetProperty("dihedral");
        var keys = dihedral.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.Zero);
            Assert.That(keys, Is.EqualTo(new[] { "rot90", "rot180", "rot270", "flipx", "flipy", "flipplus1", "flipminus1" }));
            Assert.That(Hash256.Parse(dihedral.GetProperty("rot180").GetString()!).DistanceTo(rotated.Hash), Is.LessThanOrEqualTo(PdqHash.DefaultMatchDistance));
        });
    }

    [Test]
    public void Hash_SomeFilesBad_HashesTheRestAndFailsNamingEach()
    {
        var good = WritePng("good.png", seed: 7);
        var truncated = Path.Combine(_folder, "truncated.png");
        File.WriteAllBytes(truncated, File.ReadAllBytes(good).AsSpan(0, 100).ToArray());
        var text = Path.Combine(_folder, "text.jpg");
        File.WriteAllText(text, "hello");
        var missing = Path.Combine(_folder, "missing.png");

        var (code, stdout, stderr) = Run("hash", truncated, good, text, missing);

        var errors = Lines(stderr);
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(1));
            Assert.That(Lines(stdout), Has.Count.EqualTo(1));
            Assert.That(Lines(stdout)[0], Does.EndWith(good));
            Assert.That(errors, Has.Count.EqualTo(3));
            Assert.That(errors.Any(e => e.Contains(truncated, StringComparison.Ordinal)), Is.True);
            Assert.That(errors.Any(e => e.Contains(text, StringComparison.Ordinal)), Is.True);
            Assert.That(errors.Any(e => e.Contains(missing, StringComparison.Ordinal) && e.Contains("no such file", StringComparison.Ordinal)), Is.True);
            Assert.That(stderr, Does.Not.Contain("   at "), "no stack traces");
        });
    }

    [TestCase("--jobs", "0")]
    [TestCase("--frobnicate")]
    public void Hash_BadOption_IsUsageError(params string[] options)
    {
        var (code, _, stderr) = Run(["hash", .. options, "x.png"]);

        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2));
            Assert.That(stderr, Is.Not.Empty);
        });
    }

    [Test]
    public void Hash_NoPaths_IsUsageError()
    {
        Assert.That(Run("hash").Code, Is.EqualTo(2));
    }

    [Test]
    public void Run_UnknownCommand_IsUsageError()
    {
        var (code, _, stderr) = Run("frobnicate");

        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2));
            Assert.That(stderr, Does.Contain("unknown command"));
        });
    }

    private static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = CommandLine.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static List<string> Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    /// <summary>Oracle: decode with ImageSharp directly, BT.601 luminance per PDQ.md, our hasher.</summary>
    private static PdqHash ExpectedHash(string path)
    {
        using var image = Image.Load<Rgb24>(path);
        var luma = new float[image.Width * image.Height];
        for (var y = 0; y < image.Height; y++)
        {
            for (var x = 0; x < image.Width; x++)
            {
                var p = image[x, y];
                luma[(y * image.Width) + x] = (0.299f * p.R) + (0.587f * p.G) + (0.114f * p.B);
            }
        }

        return new PdqHasher().Hash(luma, image.Width, image.Height);
    }

    private string WritePng(string name, int seed, int width = 160, int height = 100)
    {
        using var image = new Image<Rgb24>(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                // Smooth waves that differ by seed: structure PDQ sees at its scale, so quality is high
                // and the hash is stable under rotation.
                var r = 127.5 + (127.5 * Math.Sin((x / 11.0) + seed) * Math.Cos(y / 29.0));
                var g = 127.5 + (127.5 * Math.Cos((y / 13.0) - seed));
                var b = 127.5 + (127.5 * Math.Sin((x + y) / (17.0 + seed)));
                image[x, y] = new Rgb24((byte)r, (byte)g, (byte)b);
            }
        }

        var path = Path.Combine(_folder, name);
        image.SaveAsPng(path);
        return path;
    }
}
