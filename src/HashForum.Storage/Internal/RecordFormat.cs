using System.Globalization;
using System.Text;
using StackExchange.Redis;

namespace HashForum.Storage.Internal;

/// <summary>
/// A record as stored: the packed creation data (<see cref="PackedRecord"/>, in the record bucket while the record is
/// active, in the overlay's <c>d</c> field once it is retracted) and the overlay hash <c>rec:ID</c> of what changed
/// since (<c>st</c>, <c>rby</c>, <c>rat</c>, <c>ut</c>, <c>lab</c>, <c>fbp</c>, <c>fbn</c>; short field names, text
/// values, times as Unix milliseconds). A record that never changed has no overlay.
/// </summary>
internal static class RecordFields
{
    public static HashRecord? Parse(long id, byte[]? packed, HashEntry[] overlay)
    {
        // The overlay has at most eight fields (none for a record that never changed): looked up in place.
        packed ??= Find(overlay, "d", out var moved) ? (byte[]?)moved : null;
        if (packed is null || !PackedRecord.TryDecode(packed, out var created))
        {
            return null; // no record (an overlay alone, e.g. left by a crash before the write finished, is not one)
        }

        var createdAt = DateTimeOffset.FromUnixTimeMilliseconds(created.CreatedAt);
        var labels = Find(overlay, "lab", out var relabeled) ? (string)relabeled! : created.Labels;
        return new HashRecord
        {
            Id = id,
            Signal = created.Signal,
            Value = created.Value,
            Quality = created.Quality,
            Labels = labels.Length > 0 ? labels.Split(',') : [],
            Note = created.Note.Length > 0 ? created.Note : null,
            Reference = created.Reference.Length > 0 ? created.Reference : null,
            Member = created.Member,
            CreatedAt = createdAt,
            UpdatedAt = Time(overlay, "ut") ?? createdAt,
            Status = Text(overlay, "st") == "r" ? RecordStatus.Retracted : RecordStatus.Active,
            RetractedBy = Text(overlay, "rby"),
            RetractedAt = Time(overlay, "rat"),
            PositiveFeedback = Int(overlay, "fbp") ?? 0,
            NegativeFeedback = Int(overlay, "fbn") ?? 0,
        };
    }

    /// <summary>The overlay's value of a field (a Redis hash holds each field once).</summary>
    private static bool Find(HashEntry[] overlay, string field, out RedisValue value)
    {
        foreach (var entry in overlay)
        {
            if (entry.Name == field)
            {
                value = entry.Value;
                return true;
            }
        }

        value = RedisValue.Null;
        return false;
    }

    private static string? Text(HashEntry[] overlay, string field) =>
        Find(overlay, field, out var value) && (string?)value is { Length: > 0 } text ? text : null;

    private static int? Int(HashEntry[] overlay, string field) =>
        Text(overlay, field) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : null;

    private static DateTimeOffset? Time(HashEntry[] overlay, string field) =>
        Text(overlay, field) is { } text ? DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(text, CultureInfo.InvariantCulture)) : null;
}

/// <summary>
/// The creation data of a record in one value (a field of the record bucket <c>rb:B</c>): the signal code (one byte),
/// the raw value bytes (16 or 32), then UTF-8 text <c>member TAB created-ms TAB quality TAB labels TAB note-length TAB
/// note reference</c>. Member and labels hold no control characters (validated), so tabs separate them; the free-text
/// note and reference come last, split by the note's length in UTF-16 units. One field instead of a hash of eight:
/// a bulk write then adds one entry to an existing bucket per record instead of creating a key (Redis' CPU per
/// record is the limit of bulk writes), and a start-up load reads the signal and value from the first bytes.
/// Lua reads the signal and value of a packed record for log entries (<see cref="StoreScripts"/>).
/// </summary>
internal static class PackedRecord
{
    public readonly record struct Created(
        SignalType Signal, string Value, string Member, long CreatedAt, int? Quality, string Labels, string Note, string Reference);

    public static byte[] Encode(SignalType signal, string canonicalValue, string member, string createdMs, string quality, string labels, string note, string reference)
    {
        var text = string.Concat(
            [member, "\t", createdMs, "\t", quality, "\t", labels, "\t", note.Length.ToString(CultureInfo.InvariantCulture), "\t", note, reference]);
        var head = 1 + signal.ByteLength();
        var bytes = new byte[head + Encoding.UTF8.GetByteCount(text)];
        bytes[0] = (byte)signal;
        Convert.FromHexString(canonicalValue, bytes.AsSpan(1, head - 1), out _, out _);
        Encoding.UTF8.GetBytes(text, bytes.AsSpan(head));
        return bytes;
    }

    /// <summary>The signal and value only: what a load hands to the index.</summary>
    public static bool TryDecodeValue(ReadOnlySpan<byte> packed, out SignalType signal, out string value)
    {
        signal = packed.IsEmpty ? 0 : (SignalType)packed[0];
        value = string.Empty;
        if (!Enum.IsDefined(signal) || packed.Length < 1 + signal.ByteLength())
        {
            return false;
        }

        value = Convert.ToHexStringLower(packed.Slice(1, signal.ByteLength()));
        return true;
    }

    public static bool TryDecode(ReadOnlySpan<byte> packed, out Created created)
    {
        created = default;
        if (!TryDecodeValue(packed, out var signal, out var value))
        {
            return false;
        }

        var text = Encoding.UTF8.GetString(packed[(1 + signal.ByteLength())..]).AsSpan();
        Span<Range> parts = stackalloc Range[6];
        if (text.Split(parts, '\t') != 6
            || !long.TryParse(text[parts[1]], NumberStyles.None, CultureInfo.InvariantCulture, out var createdMs)
            || !int.TryParse(text[parts[4]], NumberStyles.None, CultureInfo.InvariantCulture, out var noteLength))
        {
            return false;
        }

        var tail = text[parts[5]];
        if (noteLength > tail.Length)
        {
            return false;
        }

        created = new Created(
            signal,
            value,
            text[parts[0]].ToString(),
            createdMs,
            text[parts[2]].IsEmpty ? null : int.Parse(text[parts[2]], CultureInfo.InvariantCulture),
            text[parts[3]].ToString(),
            tail[..noteLength].ToString(),
            tail[noteLength..].ToString());
        return true;
    }
}

/// <summary>
/// A change log member (score: its first sequence number). Either one entry <c>seq|kind|id|signal|value</c> (kind a,
/// r, l or f), written by a single mutation, the sequence number in the text keeping members unique (the same
/// feedback twice is two entries); or the additions of one bulk write, one <c>kind|id|signal|value</c> line each with
/// consecutive sequence numbers from the score on (their ids keep the member unique, and Lua need not format numbers).
/// </summary>
internal static class ChangeLogFormat
{
    public static void ParseInto(int partition, string member, long firstSequence, List<ChangeEntry> entries)
    {
        var sequence = firstSequence;
        foreach (var line in member.AsSpan().EnumerateLines())
        {
            entries.Add(Parse(partition, line, sequence++));
        }
    }

    private static ChangeEntry Parse(int partition, ReadOnlySpan<char> line, long sequence)
    {
        Span<Range> parts = stackalloc Range[6];
        var count = line.Split(parts, '|');
        if (count == 5)
        {
            if (!long.TryParse(line[parts[0]], NumberStyles.None, CultureInfo.InvariantCulture, out sequence))
            {
                throw new FormatException($"Malformed change log entry in partition {partition}.");
            }

            parts[1..5].CopyTo(parts);
        }
        else if (count != 4)
        {
            throw new FormatException($"Malformed change log entry in partition {partition}.");
        }

        if (!SignalTypes.TryParse(line[parts[2]].ToString(), out var signal)
            || !long.TryParse(line[parts[1]], NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            throw new FormatException($"Malformed change log entry in partition {partition}.");
        }

        var kind = line[parts[0]] switch
        {
            "a" => ChangeKind.Added,
            "r" => ChangeKind.Retracted,
            "l" => ChangeKind.Relabeled,
            "f" => ChangeKind.Feedback,
            _ => throw new FormatException($"Unknown change kind '{line[parts[0]]}' in partition {partition}."),
        };
        return new ChangeEntry(partition, sequence, kind, id, signal, line[parts[3]].ToString());
    }
}
