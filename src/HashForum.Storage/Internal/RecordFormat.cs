using System.Globalization;
using StackExchange.Redis;

namespace HashForum.Storage.Internal;

/// <summary>The record hash (<c>rec:ID</c>): short field names, text values, times as Unix milliseconds.</summary>
internal static class RecordFields
{
    public static HashRecord? Parse(HashEntry[] fields)
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

        if (!map.TryGetValue("id", out var id) || !map.TryGetValue("sig", out var sig) || !SignalTypes.TryParse(sig, out var signal))
        {
            return null; // a partial record (e.g. only a feedback tally): not a record
        }

        return new HashRecord
        {
            Id = long.Parse(id, CultureInfo.InvariantCulture),
            Signal = signal,
            Value = map.GetValueOrDefault("val", string.Empty),
            Quality = Int(map, "q"),
            Labels = map.GetValueOrDefault("lab") is { Length: > 0 } labels ? labels.Split(',') : [],
            Note = Text(map, "note"),
            Reference = Text(map, "ref"),
            Member = map.GetValueOrDefault("mem", string.Empty),
            CreatedAt = Time(map, "ct") ?? DateTimeOffset.UnixEpoch,
            UpdatedAt = Time(map, "ut") ?? DateTimeOffset.UnixEpoch,
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

/// <summary>A change log member: <c>seq|kind|id|signal|value</c> (kind a, r, l or f).</summary>
internal static class ChangeLogFormat
{
    public static ChangeEntry Parse(int partition, string member)
    {
        var parts = member.Split('|');
        if (parts.Length != 5 || !SignalTypes.TryParse(parts[3], out var signal))
        {
            throw new FormatException($"Malformed change log entry in partition {partition}.");
        }

        var kind = parts[1] switch
        {
            "a" => ChangeKind.Added,
            "r" => ChangeKind.Retracted,
            "l" => ChangeKind.Relabeled,
            "f" => ChangeKind.Feedback,
            _ => throw new FormatException($"Unknown change kind '{parts[1]}' in partition {partition}."),
        };
        return new ChangeEntry(
            partition,
            long.Parse(parts[0], CultureInfo.InvariantCulture),
            kind,
            long.Parse(parts[2], CultureInfo.InvariantCulture),
            signal,
            parts[4]);
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
