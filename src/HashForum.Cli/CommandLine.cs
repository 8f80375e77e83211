namespace HashForum.Cli;

/// <summary>Dispatches <c>hashforum VERB ...</c> to its command.</summary>
internal static class CommandLine
{
    /// <summary>A command: its words on the command line, its usage line, and what runs it.</summary>
    private sealed record Verb(string Words, string Arguments, string Summary, Func<string[], TextWriter, TextWriter, int> Run);

    /// <summary>Every command, in the order <c>--help</c> lists them.</summary>
    private static readonly Verb[] Verbs =
    [
        new("hash", "[--json] [--dihedral] [--jobs N] PATH...", "hash image files and folders", Commands.HashCommand.Run),
        new("bench index", "--count N --queries Q [...]", "benchmark the near-match index", Bench.IndexBenchCommand.Run),
        new("bench lookup", "--server URL --key KEY [--mode unary|batch|image] [...]", "benchmark lookups against a server", Bench.LookupBenchCommand.Run),
        new("admin", "[--json] member|key|audit|whoami ...", "manage members, keys and the audit log (operators)", Admin.AdminCommand.Run),
        new("lookup", "[--json] [--dihedral] FILE... | --hash HEX", "look images or hashes up in the shared set", Members.LookupCommand.Run),
        new("contribute", "[--json] [--label L] FILE | --hash HEX", "contribute an image's hashes or a hash", Members.ContributeCommand.Contribute),
        new("retract", "ID...", "withdraw your records", Members.ContributeCommand.Retract),
        new("feedback", "ID --agree|--disagree", "give your opinion of a record", Members.ContributeCommand.Feedback),
        new("labels", string.Empty, "the label taxonomy", Members.ContributeCommand.Labels),
        new("sync", "--out FILE [--follow]", "mirror the shared set into a CSV (resumable)", Members.SyncCommand.Sync),
        new("export", "[--format csv|te]", "the shared set as threatexchange's dataset CSV", Members.SyncCommand.Export),
        new("import", "FILE|FOLDER", "contribute a CSV of hashes or a folder hashed locally", Members.ImportCommand.Run),
    ];

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            WriteUsage(stdout);
            return args.Length == 0 ? ExitCodes.Usage : ExitCodes.Ok;
        }

        foreach (var verb in Verbs)
        {
            var words = verb.Words.Split(' ');
            if (args.Length >= words.Length && words.AsSpan().SequenceEqual(args.AsSpan(0, words.Length)))
            {
                return verb.Run(args[words.Length..], stdout, stderr);
            }
        }

        stderr.WriteLine($"hashforum: unknown command '{string.Join(' ', args.Take(args[0] == "bench" ? 2 : 1))}'. Run 'hashforum --help' for the list.");
        return ExitCodes.Usage;
    }

    private static void WriteUsage(TextWriter stdout)
    {
        stdout.WriteLine("hashforum: PDQ hashing and the HashForum hash-sharing service.");
        stdout.WriteLine();
        stdout.WriteLine("Commands:");
        foreach (var verb in Verbs)
        {
            stdout.WriteLine($"  {$"{verb.Words} {verb.Arguments}".TrimEnd(),-62} {verb.Summary}");
        }
    }
}
