using System.Globalization;
using Google.Protobuf;
using HashForum.Contracts.V1;

namespace HashForum.Cli.Members;

/// <summary><c>hashforum contribute | retract | feedback</c>: adding to the shared set and giving an opinion.</summary>
internal static class ContributeCommand
{
    public const string ContributeUsage = """
        usage: hashforum contribute [--server URL] [--key KEY] [--json] [--label L]... [--note TEXT] [--reference REF]
                                    FILE | --hash PDQHEX [--quality Q] | --md5 HEX | --sha256 HEX
          FILE   an image: its PDQ, MD5 and SHA-256 are contributed (PDQ quality under 50 is refused)
          Labels are the taxonomy's ids ('hashforum labels' lists them); optional. Contributing again is harmless:
          the existing record comes back.
        Prints the record id (first the PDQ's for an image) and whether it was new; --json: {"id", "created",
        "signal", "value", "records": [{"id", "signal", "value", "created"}]}.
        """;

    public const string RetractUsage = """
        usage: hashforum retract [--server URL] [--key KEY] [--json] ID...
          Withdraws your records (operators: any record). Prints "ID retracted" (--json: {"id", "status"}).
        """;

    public const string FeedbackUsage = """
        usage: hashforum feedback [--server URL] [--key KEY] [--json] ID --agree|--disagree|--clear [--label L]
          Your one standing opinion of a record; --clear withdraws it. Prints the tallies.
        """;

    public const string LabelsUsage = """
        usage: hashforum labels [--server URL] [--key KEY] [--json] [--all]
          The label taxonomy (--all: retired labels too).
        """;

    private static readonly HashSet<string> s_none = new(StringComparer.Ordinal);
    private static readonly string[] s_opinions = ["--agree", "--disagree", "--clear"];

    public static int Contribute(string[] args, TextWriter stdout, TextWriter stderr) =>
        MemberClient.Run("contribute", ContributeUsage, stdout, stderr, () =>
        {
            var parsed = MemberArguments.Parse(args, new HashSet<string> { "--json" },
                new HashSet<string> { "--hash", "--md5", "--sha256", "--quality", "--label", "--note", "--reference" });
            if (parsed.Has("--help"))
            {
                stdout.WriteLine(ContributeUsage);
                return ExitCodes.Ok;
            }

            var request = new ContributeRequest
            {
                Note = parsed.Get("--note") ?? string.Empty,
                Reference = parsed.Get("--reference") ?? string.Empty,
            };
            request.Labels.AddRange(parsed.Labels());
            if (parsed.GetInt("--quality", 0, 100) is { } quality)
            {
                request.Quality = quality;
            }

            var subjects = parsed.Positionals.Count + parsed.All("--hash").Count + parsed.All("--md5").Count + parsed.All("--sha256").Count;
            if (subjects != 1)
            {
                throw new Admin.UsageException("give exactly one image FILE, --hash, --md5 or --sha256");
            }

            if (parsed.Positionals.Count == 1)
            {
                try
                {
                    request.Image = ByteString.CopyFrom(File.ReadAllBytes(parsed.Positionals[0]));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    stderr.WriteLine($"hashforum contribute: {parsed.Positionals[0]}: {(e is FileNotFoundException or DirectoryNotFoundException ? "no such file" : e.Message)}");
                    return ExitCodes.Failed;
                }
            }
            else if (parsed.Get("--hash") is { } pdq)
            {
                request.Pdq = pdq;
            }
            else if (parsed.Get("--md5") is { } md5)
            {
                request.Md5 = md5;
            }
            else
            {
                request.Sha256 = parsed.Get("--sha256")!;
            }

            using var client = MemberClient.Connect(parsed);
            var response = client.Contribute.Contribute(request, client.Options(60));
            var first = response.Records[0];
            if (parsed.Has("--json"))
            {
                stdout.WriteLine(MemberClient.Json(w =>
                {
                    w.WriteNumber("id", first.Id);
                    w.WriteBoolean("created", response.Created[0]);
                    w.WriteString("signal", MemberClient.SignalName(first.Signal));
                    w.WriteString("value", first.Value);
                    MemberClient.WriteStrings(w, "labels", first.Labels);
                    w.WriteStartArray("records");
                    for (var i = 0; i < response.Records.Count; i++)
                    {
                        w.WriteStartObject();
                        w.WriteNumber("id", response.Records[i].Id);
                        w.WriteString("signal", MemberClient.SignalName(response.Records[i].Signal));
                        w.WriteString("value", response.Records[i].Value);
                        w.WriteBoolean("created", response.Created[i]);
                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                }));
            }
            else
            {
                for (var i = 0; i < response.Records.Count; i++)
                {
                    var r = response.Records[i];
                    stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{r.Id} {MemberClient.SignalName(r.Signal)} {r.Value} {(response.Created[i] ? "created" : "already present")}"));
                }
            }

            return ExitCodes.Ok;
        });

    public static int Retract(string[] args, TextWriter stdout, TextWriter stderr) =>
        MemberClient.Run("retract", RetractUsage, stdout, stderr, () =>
        {
            var parsed = MemberArguments.Parse(args, new HashSet<string> { "--json" }, s_none);
            if (parsed.Has("--help"))
            {
                stdout.WriteLine(RetractUsage);
                return ExitCodes.Ok;
            }

            var ids = Ids(parsed);
            using var client = MemberClient.Connect(parsed);
            foreach (var id in ids)
            {
                var record = client.Contribute.Retract(new RetractRequest { Id = id }, client.Options(30));
                stdout.WriteLine(parsed.Has("--json")
                    ? MemberClient.Json(w =>
                    {
                        w.WriteNumber("id", record.Id);
                        w.WriteString("status", "retracted");
                    })
                    : string.Create(CultureInfo.InvariantCulture, $"{record.Id} retracted"));
            }

            return ExitCodes.Ok;
        });

    public static int Feedback(string[] args, TextWriter stdout, TextWriter stderr) =>
        MemberClient.Run("feedback", FeedbackUsage, stdout, stderr, () =>
        {
            var parsed = MemberArguments.Parse(args, new HashSet<string> { "--json", "--agree", "--disagree", "--clear" }, new HashSet<string> { "--label" });
            if (parsed.Has("--help"))
            {
                stdout.WriteLine(FeedbackUsage);
                return ExitCodes.Ok;
            }

            var ids = Ids(parsed);
            var chosen = s_opinions.Where(parsed.Has).ToList();
            if (chosen.Count != 1 || ids.Count != 1)
            {
                throw new Admin.UsageException("give one record ID and one of --agree, --disagree or --clear");
            }

            var opinion = chosen[0] switch
            {
                "--agree" => Opinion.Agree,
                "--disagree" => Opinion.Disagree,
                _ => Opinion.Unspecified,
            };
            using var client = MemberClient.Connect(parsed);
            var record = client.Contribute.Feedback(
                new FeedbackRequest { Id = ids[0], Opinion = opinion, Label = parsed.Get("--label") ?? string.Empty }, client.Options(30));
            stdout.WriteLine(parsed.Has("--json")
                ? MemberClient.Json(w =>
                {
                    w.WriteNumber("id", record.Id);
                    w.WriteNumber("agree", record.Agree);
                    w.WriteNumber("disagree", record.Disagree);
                })
                : string.Create(CultureInfo.InvariantCulture, $"{record.Id} agree {record.Agree} disagree {record.Disagree}"));
            return ExitCodes.Ok;
        });

    public static int Labels(string[] args, TextWriter stdout, TextWriter stderr) =>
        MemberClient.Run("labels", LabelsUsage, stdout, stderr, () =>
        {
            var parsed = MemberArguments.Parse(args, new HashSet<string> { "--json", "--all" }, s_none);
            if (parsed.Has("--help"))
            {
                stdout.WriteLine(LabelsUsage);
                return ExitCodes.Ok;
            }

            using var client = MemberClient.Connect(parsed);
            foreach (var label in client.Labels.ListLabels(new ListLabelsRequest { IncludeRetired = parsed.Has("--all") }, client.Options(30)).Labels)
            {
                stdout.WriteLine(parsed.Has("--json")
                    ? MemberClient.Json(w =>
                    {
                        w.WriteString("id", label.Id);
                        w.WriteString("name", label.Name);
                        w.WriteString("description", label.Description);
                        w.WriteBoolean("retired", label.Retired);
                    })
                    : $"{label.Id}\t{label.Name}{(label.Retired ? " (retired)" : string.Empty)}");
            }

            return ExitCodes.Ok;
        });

    private static List<long> Ids(MemberArguments parsed)
    {
        var ids = new List<long>();
        foreach (var text in parsed.Positionals)
        {
            ids.Add(long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0
                ? id
                : throw new Admin.UsageException($"'{text}' is not a record id"));
        }

        return ids.Count > 0 ? ids : throw new Admin.UsageException("give at least one record ID");
    }
}
