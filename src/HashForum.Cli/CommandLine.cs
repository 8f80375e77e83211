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
          admin [--json] member|key|audit|whoami ...      manage members, keys and the audit log (operators)
        """;
}
