namespace HashForum.Membership;

/// <summary>What a key allows. A key holds any combination; only operators' keys may hold <see cref="Admin"/>.</summary>
[Flags]
public enum Scopes
{
    None = 0,

    /// <summary>Look hashes up (<c>lookup</c>).</summary>
    Lookup = 1,

    /// <summary>Contribute, retract and give feedback (<c>contribute</c>).</summary>
    Contribute = 2,

    /// <summary>Follow the change feed (<c>sync</c>).</summary>
    Sync = 4,

    /// <summary>The admin service (<c>admin</c>); operators only.</summary>
    Admin = 8,
}

/// <summary>Wire names of <see cref="Scopes"/>.</summary>
public static class ScopeNames
{
    public const string Lookup = "lookup";
    public const string Contribute = "contribute";
    public const string Sync = "sync";
    public const string Admin = "admin";

    private static readonly (Scopes Scope, string Name)[] s_all =
    [
        (Scopes.Lookup, Lookup), (Scopes.Contribute, Contribute), (Scopes.Sync, Sync), (Scopes.Admin, Admin),
    ];

    /// <summary>The names of the scopes set in <paramref name="scopes"/>, in a fixed order.</summary>
    public static IReadOnlyList<string> ToNames(this Scopes scopes)
    {
        var names = new List<string>(4);
        foreach (var (scope, name) in s_all)
        {
            if ((scopes & scope) != 0)
            {
                names.Add(name);
            }
        }

        return names;
    }

    /// <summary>The name of one scope.</summary>
    public static string ToName(this Scopes scope)
    {
        foreach (var (s, name) in s_all)
        {
            if (s == scope)
            {
                return name;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(scope), scope, "Not a single scope.");
    }

    /// <summary>Parses scope names (any case, duplicates allowed).</summary>
    /// <exception cref="ArgumentException">An unknown name, or none at all; the message lists the valid ones.</exception>
    public static Scopes Parse(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var result = Scopes.None;
        foreach (var raw in names)
        {
            var name = raw.Trim();
            var found = Scopes.None;
            foreach (var (scope, n) in s_all)
            {
                if (string.Equals(n, name, StringComparison.OrdinalIgnoreCase))
                {
                    found = scope;
                }
            }

            if (found == Scopes.None)
            {
                throw new ArgumentException(
                    $"Unknown scope '{name}'; the scopes are {Lookup}, {Contribute}, {Sync} and {Admin}.", nameof(names));
            }

            result |= found;
        }

        return result != Scopes.None
            ? result
            : throw new ArgumentException(
                $"A key needs at least one scope: {Lookup}, {Contribute}, {Sync} or {Admin}.", nameof(names));
    }
}
