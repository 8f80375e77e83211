namespace HashForum.Cli.Admin;

/// <summary>
/// The arguments of <c>hashforum admin ...</c>: positionals and <c>--name value</c> options (flags without a value
/// are listed in <see cref="Flags"/>), anywhere on the line.
/// </summary>
internal sealed class AdminArguments
{
    private static readonly HashSet<string> s_flags = new(StringComparer.Ordinal) { "--json", "--operator", "--help", "-h" };

    private readonly Dictionary<string, string> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    public List<string> Positionals { get; } = [];

    public IReadOnlySet<string> Flags => _flags;

    public static AdminArguments Parse(IReadOnlyList<string> args)
    {
        var parsed = new AdminArguments();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) && arg != "-h")
            {
                parsed.Positionals.Add(arg);
                continue;
            }

            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                parsed._options[arg[..eq]] = arg[(eq + 1)..];
            }
            else if (s_flags.Contains(arg))
            {
                parsed._flags.Add(arg);
            }
            else if (i + 1 < args.Count)
            {
                parsed._options[arg] = args[++i];
            }
            else
            {
                throw new UsageException($"option {arg} needs a value");
            }
        }

        return parsed;
    }

    public bool Json => _flags.Contains("--json");

    public string? Get(string option) => _options.GetValueOrDefault(option);

    public string Require(string option) =>
        _options.TryGetValue(option, out var value) && !string.IsNullOrWhiteSpace(value)
            ? value
            : throw new UsageException($"{option} is required");

    /// <summary>The options given that <paramref name="allowed"/> does not list.</summary>
    public IEnumerable<string> Unknown(params string[] allowed) =>
        _options.Keys.Where(k => !allowed.Contains(k) && k is not ("--server" or "--key"));
}

/// <summary>A mistake on the command line (exit code 2).</summary>
internal sealed class UsageException : Exception
{
    public UsageException()
    {
    }

    public UsageException(string message)
        : base(message)
    {
    }

    public UsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
