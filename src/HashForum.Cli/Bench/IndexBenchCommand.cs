namespace HashForum.Cli.Bench;

/// <summary><c>hashforum bench index</c>: placeholder until the index lands.</summary>
internal static class IndexBenchCommand
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        stderr.WriteLine("hashforum bench index: not built yet.");
        return ExitCodes.Failed;
    }
}
