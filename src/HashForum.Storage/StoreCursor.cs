using System.Globalization;
using System.Text;

namespace HashForum.Storage;

/// <summary>
/// A position in the change feed: the last sequence number seen in each partition. There is no global order across
/// partitions (none is needed, and keeping one would take a cross-slot counter); the vector is enough to resume.
/// Its text form is opaque to members (who may keep it to resume a sync later) but stable: <c>1.P.s0.s1...</c>.
/// </summary>
public sealed class StoreCursor : IEquatable<StoreCursor>
{
    private const string Version = "1";
    private readonly long[] _sequences;

    internal StoreCursor(long[] sequences)
    {
        _sequences = sequences;
    }

    /// <summary>A cursor before any change, for <paramref name="partitions"/> partitions.</summary>
    public static StoreCursor Start(int partitions) => new(new long[partitions]);

    /// <summary>The number of partitions this cursor covers.</summary>
    public int Partitions => _sequences.Length;

    /// <summary>The last sequence seen in <paramref name="partition"/>.</summary>
    public long this[int partition] => _sequences[partition];

    internal long[] ToArray() => (long[])_sequences.Clone();

    /// <summary>The opaque text form.</summary>
    public override string ToString()
    {
        var builder = new StringBuilder(Version).Append('.').Append(_sequences.Length);
        foreach (var sequence in _sequences)
        {
            builder.Append('.').Append(sequence);
        }

        return builder.ToString();
    }

    /// <summary>Parses the text form.</summary>
    /// <exception cref="FormatException">The text is not a cursor.</exception>
    public static StoreCursor Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('.');
        if (parts.Length < 2 || parts[0] != Version
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var partitions)
            || partitions < 1 || parts.Length != partitions + 2)
        {
            throw new FormatException("Not a HashForum change cursor.");
        }

        var sequences = new long[partitions];
        for (var i = 0; i < partitions; i++)
        {
            if (!long.TryParse(parts[i + 2], NumberStyles.None, CultureInfo.InvariantCulture, out sequences[i]))
            {
                throw new FormatException("Not a HashForum change cursor.");
            }
        }

        return new StoreCursor(sequences);
    }

    public bool Equals(StoreCursor? other) => other is not null && _sequences.AsSpan().SequenceEqual(other._sequences);

    public override bool Equals(object? obj) => Equals(obj as StoreCursor);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var sequence in _sequences)
        {
            hash.Add(sequence);
        }

        return hash.ToHashCode();
    }
}
