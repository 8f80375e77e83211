using System.Diagnostics;
using System.Text;
using System.Text.Json;
using HashForum.Hashing.Pdq;
using HashForum.Imaging;

namespace HashForum.Cli.Commands;

/// <summary>
/// <c>hashforum hash [--json] [--dihedral] [--jobs N] PATH...</c>: PDQ, quality and digests of image
/// files, and of folders recursively. Results print in the order the paths were given (folders in
/// ordinal name order), whatever order the workers finish in.
/// </summary>
internal static class HashCommand
{
    public const string Usage = """
        usage: hashforum hash [--json] [--dihedral] [--jobs N] PATH...

        Hashes image files (JPEG, PNG, GIF first frame, WebP), and folders recursively (files named
        .jpg .jpeg .png .gif .webp). One line per image:
          <pdq hex> <quality> <path>
        --json      one JSON object per line: file, pdq, quality, md5, sha256, width, height
        --dihedral  with --json, also "dihedral": the hashes of the 7 rotations and flips
        --jobs N    worker threads (default: the number of cores)
        A file that fails prints one line to stderr naming it and the reason; the rest are still
        hashed, and the exit code is 1.
        """;

    private static readonly HashSet<string> ImageExtensions = new(StringComparer.OrdinalIgnoreCase) { ".jpg", ".jpeg", ".png", ".gif", ".webp" };

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var json = false;
        var dihedral = false;
        var jobs = Environment.ProcessorCount;
        var paths = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--json":
                    json = true;
                    break;
                case "--dihedral":
                    dihedral = true;
                    break;
                case "--jobs" when i + 1 < args.Length && int.TryParse(args[i + 1], out var n) && n > 0:
                    jobs = n;
                    i++;
                    break;
                case "--jobs":
                    stderr.WriteLine("hashforum hash: --jobs takes a whole number of at least 1.");
                    return ExitCodes.Usage;
                case "-h" or "--help":
                    stdout.WriteLine(Usage);
                    return ExitCodes.Ok;
                case var option when option.StartsWith("--", StringComparison.Ordinal):
                    stderr.WriteLine($"hashforum hash: unknown option '{option}'.\n{Usage}");
                    return ExitCodes.Usage;
                default:
                    paths.Add(args[i]);
                    break;
            }
        }

        if (paths.Count == 0)
        {
            stderr.WriteLine(Usage);
            return ExitCodes.Usage;
        }

        var failed = 0;
        var files = new List<string>();
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                files.AddRange(ImagesUnder(path, stderr, ref failed));
            }
            else
            {
                files.Add(path);
            }
        }

        var limits = new ImageLimits();
        var decoder = new ImageDecoder(limits);
        using var hashers = new ThreadLocal<PdqHasher>(() => new PdqHasher());
        var progress = new Progress(stderr, files.Count, enabled: !Console.IsErrorRedirected && ReferenceEquals(stderr, Console.Error));

        var results = files
            .AsParallel()
            .AsOrdered()
            .WithDegreeOfParallelism(Math.Min(jobs, 512))
            .Select(file => HashOne(file, decoder, hashers.Value!, limits, json, dihedral));
        foreach (var result in results)
        {
            progress.Tick();
            if (result.Error is not null)
            {
                failed++;
                progress.Clear();
                stderr.WriteLine($"hashforum: {result.File}: {result.Error}");
            }
            else
            {
                stdout.WriteLine(result.Line);
            }
        }

        progress.Clear();
        stdout.Flush();
        return failed == 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }

    private static List<string> ImagesUnder(string folder, TextWriter stderr, ref int failed)
    {
        try
        {
            var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = false, AttributesToSkip = FileAttributes.ReparsePoint };
            var found = Directory.EnumerateFiles(folder, "*", options)
                .Where(f => ImageExtensions.Contains(Path.GetExtension(f)))
                .ToList();
            found.Sort(StringComparer.Ordinal);
            return found;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            failed++;
            stderr.WriteLine($"hashforum: {folder}: cannot list the folder ({e.Message})");
            return [];
        }
    }

    private static Result HashOne(string file, ImageDecoder decoder, PdqHasher hasher, ImageLimits limits, bool json, bool dihedral)
    {
        byte[] bytes;
        try
        {
            var length = new FileInfo(file).Length;
            if (length > limits.MaxInputBytes)
            {
                return new Result(file, null, $"the file is {length} bytes; the largest accepted is {limits.MaxInputBytes} bytes");
            }

            bytes = File.ReadAllBytes(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new Result(file, null, e is FileNotFoundException or DirectoryNotFoundException ? "no such file" : $"cannot read it ({e.Message})");
        }

        try
        {
            using var luma = decoder.Decode(bytes);
            if (!json)
            {
                var pdq = hasher.Hash(luma.Pixels, luma.Width, luma.Height);
                return new Result(file, $"{pdq.Hash} {pdq.Quality} {file}", null);
            }

            return new Result(file, JsonLine(file, bytes, luma, hasher, dihedral), null);
        }
        catch (ImageDecodeException e)
        {
            return new Result(file, null, e.Message);
        }
    }

    private static string JsonLine(string file, byte[] bytes, LumaImage luma, PdqHasher hasher, bool dihedral)
    {
        var digests = ExactDigests.ComputeHex(bytes);
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("file", file);
            Hash256 original;
            int quality;
            DihedralHashes variants = default;
            if (dihedral)
            {
                variants = hasher.HashDihedral(luma.Pixels, luma.Width, luma.Height);
                original = variants.Original;
                quality = variants.Quality;
            }
            else
            {
                var pdq = hasher.Hash(luma.Pixels, luma.Width, luma.Height);
                original = pdq.Hash;
                quality = pdq.Quality;
            }

            writer.WriteString("pdq", original.ToString());
            writer.WriteNumber("quality", quality);
            writer.WriteString("md5", digests.Md5);
            writer.WriteString("sha256", digests.Sha256);
            writer.WriteNumber("width", luma.Width);
            writer.WriteNumber("height", luma.Height);
            if (dihedral)
            {
                writer.WriteStartObject("dihedral");
                for (var v = DihedralVariant.Rot90; v <= DihedralVariant.FlipMinus1; v++)
                {
                    writer.WriteString(v.ToName(), variants[v].ToString());
                }

                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private sealed record Result(string File, string? Line, string? Error);

    /// <summary>A one-line counter on a terminal's stderr, for runs long enough to wonder about.</summary>
    private sealed class Progress(TextWriter stderr, int total, bool enabled)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private int _done;
        private long _lastDrawn;
        private bool _shown;

        public void Tick()
        {
            _done++;
            if (!enabled || _clock.ElapsedMilliseconds < 1000 || _clock.ElapsedMilliseconds - _lastDrawn < 200)
            {
                return;
            }

            _lastDrawn = _clock.ElapsedMilliseconds;
            var rate = _done / _clock.Elapsed.TotalSeconds;
            stderr.Write($"\r{_done}/{total} images, {rate:F0}/s ");
            _shown = true;
        }

        public void Clear()
        {
            if (_shown)
            {
                stderr.Write("\r\u001b[K");
                _shown = false;
            }
        }
    }
}
