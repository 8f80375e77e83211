using System.Globalization;
using StackExchange.Redis;

namespace HashForum.Storage.Internal;

/// <summary>
/// The record hash (<c>rec:ID</c>): short field names, text values, times as Unix milliseconds. A field that carries
/// nothing is left out when a record is created: an update time equal to the creation time (<c>ut</c>), active status
/// (<c>st</c>), zero feedback tallies (<c>fbp</c>, <c>fbn</c>), empty quality, labels, note and reference; the id is
/// in the key (records written by earlier versions also hold <c>id</c> and every field).
/// </summary>
internal static class RecordFields
{
    public static HashRecord? Parse(long id, HashEntry[] fields)
    {
        if (fields.Length == 0)
        {
            return null;
        }

        var map = new Dictionary<string, string>(fields.Length, StringComparer.Ordinal);
        foreach (var field in fields)
        {
            map[(string)field.Name!] = (string?)field.Value ?? string.Empty;
        }

        if (!map.TryGetValue("sig", out var sig) || !SignalTypes.TryParse(sig, out var signal))
        {
            return null; // a partial record (e.g. only a feedback tally): not a record
        }

        var createdAt = Time(map, "ct") ?? DateTimeOffset.UnixEpoch;
        return new HashRecord
        {
            Id = id,
            Signal = signal,
            Value = map.GetValueOrDefault("val", string.Empty),
            Quality = Int(map, "q"),
            Labels = map.GetValueOrDefault("lab") is { Length: > 0 } labels ? labels.Split(',') : [],
            Note = Text(map, "note"),
            Reference = Text(map, "ref"),
            Member = map.GetValueOrDefault("mem", string.Empty),
            CreatedAt = createdAt,
            UpdatedAt = Time(map, "ut") ?? createdAt,
            Status = map.GetValueOrDefault("st") == "r" ? RecordStatus.Retracted : RecordStatus.Active,
            RetractedBy = Text(map, "rby"),
            RetractedAt = Time(map, "rat"),
            PositiveFeedback = Int(map, "fbp") ?? 0,
            NegativeFeedback = Int(map, "fbn") ?? 0,
        };
    }

    private static string? Text(Dictionary<string, string> map, string field) =>
        map.TryGetValue(field, out var text) && text.Length > 0 ? text : null;

    private static int? Int(Dictionary<string, string> map, string field) =>
        Text(map, field) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : null;

    private static DateTimeOffset? Time(Dictionary<string, string> map, string field) =>
        Text(map, field) is { } text ? DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(text, CultureInfo.InvariantCulture)) : null;
}

/// <summary>
/// A change log member: one entry <c>seq|kind|id|signal|value</c> (kind a, r, l or f), or the entries of one batch
/// written together, one per line, with consecutive sequence numbers (the member's score is the first).
/// </summary>
internal static class ChangeLogFormat
{
    public static void ParseInto(int partition, string member, List<ChangeEntry> entries)
    {
        foreach (var line in member.AsSpan().EnumerateLines())
        {
            entries.Add(Parse(partition, line));
        }
    }

    public static ChangeEntry Parse(int partition, ReadOnlySpan<char> line)
    {
        Span<Range> parts = stackalloc Range[6];
        if (line.Split(parts, '|') != 5 || !SignalTypes.TryParse(line[parts[3]].ToString(), out var signal))
        {
            throw new FormatException($"Malformed change log entry in partition {partition}.");
        }

        var kind = line[parts[1]] switch
        {
            "a" => ChangeKind.Added,
            "r" => ChangeKind.Retracted,
            "l" => ChangeKind.Relabeled,
            "f" => ChangeKind.Feedback,
            _ => throw new FormatException($"Unknown change kind '{line[parts[1]]}' in partition {partition}."),
        };
        return new ChangeEntry(
            partition,
            long.Parse(line[parts[0]], CultureInfo.InvariantCulture),
            kind,
            long.Parse(line[parts[2]], CultureInfo.InvariantCulture),
            signal,
            line[parts[4]].ToString());
    }
}

/// <summary>
/// An entry of the active-records hash (<c>act</c>): one signal-type byte and the raw value bytes, half the size of
/// hex, since this hash holds one entry per active record and is read whole at every start.
/// </summary>
internal static class ActiveEntry
{
    public static byte[] Encode(SignalType signal, string canonicalValue)
    {
        var bytes = new byte[1 + (canonicalValue.Length / 2)];
        bytes[0] = (byte)signal;
        Convert.FromHexString(canonicalValue, bytes.AsSpan(1), out _, out _);
        return bytes;
    }

    public static ChangeEntry Decode(int partition, long id, RedisValue value)
    {
        var bytes = (byte[])value!;
        var signal = (SignalType)bytes[0];
        return new ChangeEntry(partition, 0, ChangeKind.Added, id, signal, Convert.ToHexStringLower(bytes.AsSpan(1)));
    }
}
