namespace HashForum.Cli;

/// <summary>Dispatches <c>hashforum VERB ...</c> to its command.</summary>
internal static class CommandLine
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            stdout.WriteLine(Usage);
            return args.Length == 0 ? ExitCodes.Usage : ExitCodes.Ok;
        }

        var rest = args[1..];
        switch (args[0])
        {
            case "hash":
                return Commands.HashCommand.Run(rest, stdout, stderr);
            case "admin":
                return Admin.AdminCommand.Run(rest, stdout, stderr);
            case "lookup":
                return Members.LookupCommand.Run(rest, stdout, stderr);
            case "contribute":
                return Members.ContributeCommand.Contribute(rest, stdout, stderr);
            case "retract":
                return Members.ContributeCommand.Retract(rest, stdout, stderr);
            case "feedback":
                return Members.ContributeCommand.Feedback(rest, stdout, stderr);
            case "labels":
                return Members.ContributeCommand.Labels(rest, stdout, stderr);
            case "sync":
                return Members.SyncCommand.Sync(rest, stdout, stderr);
            case "export":
                return Members.SyncCommand.Export(rest, stdout, stderr);
            case "import":
                return Members.ImportCommand.Run(rest, stdout, stderr);
            case "bench" when rest.Length > 0 && rest[0] == "lookup":
                return Bench.LookupBenchCommand.Run(rest[1..], stdout, stderr);
            case "bench" when rest.Length > 0 && rest[0] == "index":
                return Bench.IndexBenchCommand.Run(rest[1..], stdout, stderr);
            default:
                stderr.WriteLine($"hashforum: unknown command '{args[0]}'. Run 'hashforum --help' for the list.");
                return ExitCodes.Usage;
        }
    }

    private const string Usage = """
        hashforum: PDQ hashing and the HashForum hash-sharing service.

        Commands:
          hash [--json] [--dihedral] [--jobs N] PATH...   hash image files and folders
          bench index --count N --queries Q [...]         benchmark the near-match index
          bench lookup --server URL --key KEY [--mode unary|batch|image] [...]   benchmark lookups against a server
          admin [--json] member|key|audit|whoami ...      manage members, keys and the audit log (operators)
          lookup [--json] [--dihedral] FILE... | --hash HEX   look images or hashes up in the shared set
          contribute [--json] [--label L] FILE | --hash HEX  contribute an image's hashes or a hash
          retract ID... | feedback ID --agree|--disagree     withdraw your records; give your opinion of one
          labels                                          the label taxonomy
          sync --out FILE [--follow]                      mirror the shared set into a CSV (resumable)
          export [--format csv|te]                        the shared set as threatexchange's dataset CSV
          import FILE|FOLDER                              contribute a CSV of hashes or a folder hashed locally
        """;
}
