using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using HashForum.Contracts.V1;

namespace HashForum.Cli.Members;

/// <summary>
/// <c>hashforum lookup FILE... | --hash HEX ...</c>: asks the server whether images (sent as bytes; the server hashes
/// them) or hashes computed elsewhere are in the shared set. One line (or JSON object) per input, in order.
/// </summary>
internal static class LookupCommand
{
    public const string Usage = """
        usage: hashforum lookup [--server URL] [--key KEY] [--json] [--dihedral] [--max-distance N] [--label L]...
                                FILE|FOLDER... | --hash PDQHEX... | --md5 HEX... | --sha256 HEX...
          FILE        an image (JPEG, PNG, GIF, WebP): the server computes PDQ, quality, MD5 and SHA-256; folders are
                      searched recursively for .jpg .jpeg .png .gif .webp
          --hash HEX  a PDQ hash (64 hex digits), repeatable; --md5 / --sha256 for exact digests
          --dihedral  images: also match the 7 rotations and flips
          --max-distance N  PDQ radius (default 31; the server caps it)
          --label L   only matches with one of these labels (repeatable, or comma-separated)
          --json      one object per input: file, pdq, quality, md5, sha256, low_quality, matches
                      [{id, signal, value, distance, variant, labels, member, quality, agree, disagree}]
        Text: one line per input, "<input> <n> match(es)", then one indented line per match.
        Exit codes: 0 ok, 1 an input failed (the rest are still looked up), 2 usage, 3 unauthenticated, 4 permission denied.
        """;

    private static readonly HashSet<string> s_flags = new(StringComparer.Ordinal) { "--json", "--dihedral" };
    private static readonly HashSet<string> s_options = new(StringComparer.Ordinal) { "--hash", "--md5", "--sha256", "--max-distance", "--label" };
    private static readonly HashSet<string> s_images = new(StringComparer.OrdinalIgnoreCase) { ".jpg", ".jpeg", ".png", ".gif", ".webp" };

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr) =>
        MemberClient.Run("lookup", Usage, stdout, stderr, () =>
        {
            var parsed = MemberArguments.Parse(args, s_flags, s_options);
            if (parsed.Has("--help"))
            {
                stdout.WriteLine(Usage);
                return ExitCodes.Ok;
            }

            var queries = new List<(string Input, LookupHashRequest Request)>();
            foreach (var pdq in parsed.All("--hash"))
            {
                queries.Add((pdq, new LookupHashRequest { Pdq = pdq }));
            }

            foreach (var md5 in parsed.All("--md5"))
            {
                queries.Add((md5, new LookupHashRequest { Md5 = md5 }));
            }

            foreach (var sha in parsed.All("--sha256"))
            {
                queries.Add((sha, new LookupHashRequest { Sha256 = sha }));
            }

            if (queries.Count == 0 && parsed.Positionals.Count == 0)
            {
                throw new Admin.UsageException("give image files or folders, or --hash / --md5 / --sha256 values");
            }

            var options = new LookupOptions { Dihedral = parsed.Has("--dihedral") };
            if (parsed.GetInt("--max-distance", 0, 256) is { } distance)
            {
                options.MaxDistance = distance;
            }

            options.Labels.AddRange(parsed.Labels());
            var json = parsed.Has("--json");
            using var client = MemberClient.Connect(parsed);
            var failed = 0;
            foreach (var file in Files(parsed.Positionals, stderr, ref failed))
            {
                byte[] bytes;
                try
                {
                    bytes = File.ReadAllBytes(file);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    failed++;
                    stderr.WriteLine($"hashforum lookup: {file}: {(e is FileNotFoundException or DirectoryNotFoundException ? "no such file" : e.Message)}");
                    continue;
                }

                try
                {
                    var response = client.Lookup.LookupImage(new LookupImageRequest { Image = ByteString.CopyFrom(bytes), Options = options }, client.Options(60));
                    stdout.WriteLine(json ? Json(file, null, response) : Text(file, response));
                }
                catch (Grpc.Core.RpcException e) when (e.StatusCode is Grpc.Core.StatusCode.InvalidArgument or Grpc.Core.StatusCode.ResourceExhausted)
                {
                    failed++;
                    stderr.WriteLine($"hashforum lookup: {file}: {e.Status.Detail}");
                }
            }

            if (queries.Count > 0)
            {
                // The variants come from an image's DCT: hashes are looked up as given.
                var batch = new LookupBatchRequest { Options = options.Clone() };
                batch.Options.Dihedral = false;
                batch.Queries.AddRange(queries.Select(q => q.Request));
                var results = client.Lookup.LookupBatch(batch, client.Options(60)).Results;
                for (var i = 0; i < results.Count; i++)
                {
                    stdout.WriteLine(json ? Json(null, queries[i].Request, results[i]) : Text(queries[i].Input, results[i]));
                }
            }

            stdout.Flush();
            return failed == 0 ? ExitCodes.Ok : ExitCodes.Failed;
        });

    private static List<string> Files(List<string> paths, TextWriter stderr, ref int failed)
    {
        var files = new List<string>();
        foreach (var path in paths)
        {
            if (!Directory.Exists(path))
            {
                files.Add(path);
                continue;
            }

            try
            {
                var found = Directory.EnumerateFiles(path, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint })
                    .Where(f => s_images.Contains(Path.GetExtension(f)))
                    .ToList();
                found.Sort(StringComparer.Ordinal);
                files.AddRange(found);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                failed++;
                stderr.WriteLine($"hashforum lookup: {path}: cannot list the folder ({e.Message})");
            }
        }

        return files;
    }

    private static string Text(string input, LookupResponse response)
    {
        var text = new System.Text.StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{input} {response.Matches.Count} match{(response.Matches.Count == 1 ? string.Empty : "es")}");
        if (response.LowQuality)
        {
            text.Append(" (PDQ quality under 50: no PDQ matching)");
        }

        foreach (var m in response.Matches)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"\n  {m.RecordId} {MemberClient.SignalName(m.Signal)} distance {m.Distance} {m.Variant} [{string.Join(',', m.Labels)}] {m.Member} +{m.Agree}/-{m.Disagree}");
        }

        return text.ToString();
    }

    private static string Json(string? file, LookupHashRequest? query, LookupResponse response) => MemberClient.Json(w =>
    {
        if (file is not null)
        {
            w.WriteString("file", file);
            w.WriteString("pdq", response.Hashes.Pdq);
            w.WriteNumber("quality", response.Hashes.Quality);
            w.WriteString("md5", response.Hashes.Md5);
            w.WriteString("sha256", response.Hashes.Sha256);
        }
        else if (query is not null)
        {
            switch (query.QueryCase)
            {
                case LookupHashRequest.QueryOneofCase.Pdq:
                    w.WriteString("pdq", query.Pdq.Trim().ToLowerInvariant());
                    w.WriteNull("quality");
                    break;
                case LookupHashRequest.QueryOneofCase.Md5:
                    w.WriteString("md5", query.Md5.Trim().ToLowerInvariant());
                    break;
                default:
                    w.WriteString("sha256", query.Sha256.Trim().ToLowerInvariant());
                    break;
            }
        }

        w.WriteBoolean("low_quality", response.LowQuality);
        w.WriteNumber("max_distance", response.MaxDistance);
        w.WriteStartArray("matches");
        foreach (var m in response.Matches)
        {
            WriteMatch(w, m);
        }

        w.WriteEndArray();
    });

    private static void WriteMatch(Utf8JsonWriter w, Match m)
    {
        w.WriteStartObject();
        w.WriteNumber("id", m.RecordId);
        w.WriteString("signal", MemberClient.SignalName(m.Signal));
        w.WriteString("value", m.Value);
        w.WriteNumber("distance", m.Distance);
        w.WriteString("variant", m.Variant);
        MemberClient.WriteStrings(w, "labels", m.Labels);
        w.WriteString("member", m.Member);
        w.WriteNumber("quality", m.Quality);
        w.WriteNumber("agree", m.Agree);
        w.WriteNumber("disagree", m.Disagree);
        if (m.Created is not null)
        {
            w.WriteString("created", m.Created.ToDateTimeOffset());
        }

        w.WriteEndObject();
    }
}
