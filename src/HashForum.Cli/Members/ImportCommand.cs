using System.Diagnostics;
using System.Globalization;
using HashForum.Contracts.V1;
using HashForum.Hashing.Pdq;
using HashForum.Imaging;

namespace HashForum.Cli.Members;

/// <summary>
/// <c>hashforum import FILE|FOLDER</c>: contributes many hashes in batches. A folder is hashed here (images never
/// leave the machine); a file is the export CSV (or threatexchange's "signal_type value" lines, or bare PDQ hex).
/// </summary>
/// <remarks>
/// Idempotent (the server returns existing records) and resumable: after each batch the number of inputs done is
/// written to <c>PATH.import-progress</c>, and a later run skips them. A batch is one <c>ContributeBatch</c> call.
/// </remarks>
internal static class ImportCommand
{
    public const string Usage = """
        usage: hashforum import [--server URL] [--key KEY] [--json] [--label L]... [--batch N] [--restart] FILE|FOLDER
          FOLDER  images hashed locally (PDQ under quality 50 skipped; MD5 and SHA-256 always), then contributed
          FILE    the export CSV (signal_type, signal_str, tags as labels, quality), or "signal_type value" lines,
                  or one PDQ hex per line
          --label L   labels for every record (with the CSV's tags); --batch N hashes per call (default 2000)
          --restart   ignore PATH.import-progress and start from the beginning
        Prints: inputs, records created, already present, skipped (--json: {"inputs","created","existing","skipped","rate_per_s"}).
        """;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr) =>
        MemberClient.Run("import", Usage, stdout, stderr, () =>
        {
            var parsed = MemberArguments.Parse(args, new HashSet<string> { "--json", "--restart" }, new HashSet<string> { "--label", "--batch" });
            if (parsed.Has("--help"))
            {
                stdout.WriteLine(Usage);
                return ExitCodes.Ok;
            }

            if (parsed.Positionals.Count != 1)
            {
                throw new Admin.UsageException("give one FILE or FOLDER");
            }

            var path = parsed.Positionals[0].TrimEnd('/');
            var batchSize = parsed.GetInt("--batch", 1, 10_000) ?? 2000;
            var labels = parsed.Labels();
            var progressPath = path + ".import-progress";
            var done = 0L;
            if (!parsed.Has("--restart") && File.Exists(progressPath))
            {
                _ = long.TryParse(File.ReadAllText(progressPath).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out done);
            }

            IEnumerable<Item> items;
            long total;
            var skipped = 0L;
            if (Directory.Exists(path))
            {
                var files = Directory.EnumerateFiles(path, "*", new EnumerationOptions { RecurseSubdirectories = true })
                    .Where(f => f.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".jpeg", StringComparison.OrdinalIgnoreCase)
                        || f.EndsWith(".png", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".gif", StringComparison.OrdinalIgnoreCase)
                        || f.EndsWith(".webp", StringComparison.OrdinalIgnoreCase))
                    .Order(StringComparer.Ordinal)
                    .ToList();
                total = files.Count;
                items = HashFiles(files.Skip((int)Math.Min(done, files.Count)), labels, stderr);
            }
            else if (File.Exists(path))
            {
                total = Math.Max(0, File.ReadLines(path).LongCount() - (HasHeader(path) ? 1 : 0));
                items = ReadFile(path, labels).Skip((int)Math.Min(done, int.MaxValue));
            }
            else
            {
                stderr.WriteLine($"hashforum import: {path}: no such file or folder");
                return ExitCodes.Failed;
            }

            using var client = MemberClient.Connect(parsed);
            var progress = new Progress(stderr, total, done);
            var watch = Stopwatch.StartNew();
            var (created, existing, sent) = (0L, 0L, 0L);
            var batch = new ContributeBatchRequest();
            var inputsInBatch = 0L;
            var failed = 0;
            foreach (var item in items)
            {
                inputsInBatch++;
                if (item.Error is not null)
                {
                    skipped++;
                    failed++;
                    progress.Note($"hashforum import: {item.Error}");
                }

                foreach (var request in item.Requests)
                {
                    batch.Items.Add(request);
                }

                if (batch.Items.Count >= batchSize)
                {
                    Send();
                }
            }

            Send();
            progress.Clear();
            var rate = sent / Math.Max(watch.Elapsed.TotalSeconds, 1e-3);
            stdout.WriteLine(parsed.Has("--json")
                ? MemberClient.Json(w =>
                {
                    w.WriteNumber("inputs", done);
                    w.WriteNumber("created", created);
                    w.WriteNumber("existing", existing);
                    w.WriteNumber("skipped", skipped);
                    w.WriteNumber("rate_per_s", Math.Round(rate));
                })
                : string.Create(CultureInfo.InvariantCulture,
                    $"{path}: {done} inputs, {created} records created, {existing} already present, {skipped} skipped, {rate:F0} hashes/s"));
            return failed == 0 ? ExitCodes.Ok : ExitCodes.Failed;

            void Send()
            {
                if (batch.Items.Count > 0)
                {
                    var response = client.Contribute.ContributeBatch(batch, client.Options(300));
                    sent += batch.Items.Count;
                    foreach (var c in response.Created)
                    {
                        if (c)
                        {
                            created++;
                        }
                        else
                        {
                            existing++;
                        }
                    }
                }

                done += inputsInBatch;
                inputsInBatch = 0;
                batch = new ContributeBatchRequest();
                File.WriteAllText(progressPath, done.ToString(CultureInfo.InvariantCulture));
                progress.Show(done);
            }
        });

    private sealed record Item(IReadOnlyList<ContributeRequest> Requests, string? Error);

    private static bool HasHeader(string path) =>
        File.ReadLines(path).FirstOrDefault() is { } first && first.Contains("signal_type", StringComparison.Ordinal);

    private static IEnumerable<Item> ReadFile(string path, List<string> labels)
    {
        int signalColumn = -1, valueColumn = -1, tagsColumn = -1, qualityColumn = -1;
        var first = true;
        var lineNumber = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNumber++;
            var line = raw.Trim();
            if (first)
            {
                first = false;
                if (line.Contains("signal_type", StringComparison.Ordinal))
                {
                    var header = SignalCsv.Split(line);
                    signalColumn = header.IndexOf("signal_type");
                    valueColumn = header.IndexOf("signal_str");
                    tagsColumn = header.IndexOf("tags");
                    qualityColumn = header.IndexOf("quality");
                    continue;
                }
            }

            if (line.Length == 0)
            {
                yield return new Item([], null);
                continue;
            }

            string signal, value;
            var itemLabels = labels;
            int? quality = null;
            if (signalColumn >= 0 && valueColumn >= 0)
            {
                var fields = SignalCsv.Split(line);
                if (fields.Count <= Math.Max(signalColumn, valueColumn))
                {
                    yield return new Item([], $"{path}:{lineNumber}: too few columns");
                    continue;
                }

                signal = fields[signalColumn];
                value = fields[valueColumn];
                if (tagsColumn >= 0 && tagsColumn < fields.Count && fields[tagsColumn].Length > 0)
                {
                    itemLabels = [.. labels.Union(fields[tagsColumn].Split(' ', StringSplitOptions.RemoveEmptyEntries))];
                }

                if (qualityColumn >= 0 && qualityColumn < fields.Count && int.TryParse(fields[qualityColumn], NumberStyles.None, CultureInfo.InvariantCulture, out var q))
                {
                    quality = q;
                }
            }
            else if (line.Contains(' ', StringComparison.Ordinal))
            {
                var parts = line.Split(' ', 2, StringSplitOptions.TrimEntries);
                (signal, value) = (parts[0], parts[1]);
            }
            else
            {
                (signal, value) = ("pdq", line);
            }

            var request = new ContributeRequest();
            request.Labels.AddRange(itemLabels);
            switch (signal)
            {
                case "pdq":
                    request.Pdq = value;
                    if (quality is { } known)
                    {
                        request.Quality = known;
                    }

                    break;
                case "md5" or "video_md5" or "photo_md5":
                    request.Md5 = value;
                    break;
                case "sha256":
                    request.Sha256 = value;
                    break;
                default:
                    yield return new Item([], $"{path}:{lineNumber}: signal type '{signal}' is not pdq, md5 or sha256");
                    continue;
            }

            yield return new Item([request], null);
        }
    }

    private static IEnumerable<Item> HashFiles(IEnumerable<string> files, List<string> labels, TextWriter stderr)
    {
        var decoder = new ImageDecoder();
        using var hashers = new ThreadLocal<PdqHasher>(() => new PdqHasher());
        foreach (var item in files.AsParallel().AsOrdered().Select(file => HashFile(file, decoder, hashers.Value!, labels)))
        {
            yield return item;
        }
    }

    private static Item HashFile(string file, ImageDecoder decoder, PdqHasher hasher, List<string> labels)
    {
        try
        {
            var bytes = File.ReadAllBytes(file);
            using var luma = decoder.Decode(bytes);
            var pdq = hasher.Hash(luma.Pixels, luma.Width, luma.Height);
            var (md5, sha256) = ExactDigests.ComputeHex(bytes);
            var requests = new List<ContributeRequest>(3);
            if (pdq.Quality >= PdqHash.MinimumUsefulQuality)
            {
                requests.Add(new ContributeRequest { Pdq = pdq.Hash.ToString(), Quality = pdq.Quality, Labels = { labels } });
            }

            requests.Add(new ContributeRequest { Md5 = md5, Labels = { labels } });
            requests.Add(new ContributeRequest { Sha256 = sha256, Labels = { labels } });
            return new Item(requests, null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ImageDecodeException)
        {
            return new Item([], $"{file}: {e.Message}");
        }
    }

    /// <summary>A one-line progress bar on a terminal's stderr.</summary>
    private sealed class Progress(TextWriter stderr, long total, long start)
    {
        private readonly bool _enabled = !Console.IsErrorRedirected && ReferenceEquals(stderr, Console.Error);
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private bool _shown;

        public void Show(long done)
        {
            if (!_enabled)
            {
                return;
            }

            var width = 30;
            var filled = total == 0 ? width : (int)(width * Math.Min(1.0, done / (double)total));
            var rate = (done - start) / Math.Max(_clock.Elapsed.TotalSeconds, 1e-3);
            stderr.Write($"\r[{new string('#', filled)}{new string('.', width - filled)}] {done}/{total} {rate:F0}/s ");
            _shown = true;
        }

        public void Note(string line)
        {
            Clear();
            stderr.WriteLine(line);
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
