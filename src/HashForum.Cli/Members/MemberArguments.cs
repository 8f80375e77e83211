namespace HashForum.Cli.Members;

/// <summary>
/// Arguments of the member commands: positionals, flags (no value) and options (<c>--name value</c> or
/// <c>--name=value</c>, repeatable), anywhere on the line.
/// </summary>
internal sealed class MemberArguments
{
    private readonly Dictionary<string, List<string>> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    public List<string> Positionals { get; } = [];

    public static MemberArguments Parse(IReadOnlyList<string> args, IReadOnlySet<string> flags, IReadOnlySet<string> options)
    {
        var parsed = new MemberArguments();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "-h")
            {
                parsed._flags.Add("--help");
                continue;
            }

            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg == "--")
            {
                parsed.Positionals.Add(arg);
                continue;
            }

            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            var name = eq > 0 ? arg[..eq] : arg;
            if (flags.Contains(name) || name == "--help")
            {
                if (eq > 0)
                {
                    throw new Admin.UsageException($"{name} takes no value");
                }

                parsed._flags.Add(name);
            }
            else if (options.Contains(name) || name is "--server" or "--key")
            {
                var value = eq > 0 ? arg[(eq + 1)..] : i + 1 < args.Count ? args[++i] : throw new Admin.UsageException($"option {name} needs a value");
                if (!parsed._options.TryGetValue(name, out var values))
                {
                    parsed._options[name] = values = [];
                }

                values.Add(value);
            }
            else
            {
                throw new Admin.UsageException($"unknown option '{name}'");
            }
        }

        return parsed;
    }

    public bool Has(string flag) => _flags.Contains(flag);

    public string? Get(string option) => _options.TryGetValue(option, out var values) ? values[^1] : null;

    public IReadOnlyList<string> All(string option) => _options.TryGetValue(option, out var values) ? values : [];

    public int? GetInt(string option, int min, int max)
    {
        var text = Get(option);
        if (text is null)
        {
            return null;
        }

        return int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new Admin.UsageException($"{option} takes a whole number from {min} to {max}; got '{text}'");
    }

    /// <summary>Labels from repeated <c>--label</c> options, each of which may hold a comma-separated list.</summary>
    public List<string> Labels() =>
        [.. All("--label").SelectMany(l => l.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))];
}
