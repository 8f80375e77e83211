namespace HashForum.Index.Internal;

/// <summary>
/// How the 256 bits are cut into contiguous chunks for multi-index hashing, and how a search radius
/// is shared out among them.
/// </summary>
internal sealed class ChunkLayout
{
    /// <summary>Widest chunk allowed: prefix masks are enumerated in 32-bit arithmetic with room to spare.</summary>
    public const int MaxWidth = 30;

    private ChunkLayout(int[] offsets, int[] widths)
    {
        Offsets = offsets;
        Widths = widths;
    }

    public int Count => Widths.Length;

    /// <summary>First bit of each chunk.</summary>
    public int[] Offsets { get; }

    /// <summary>Width in bits of each chunk; the wider chunks come first.</summary>
    public int[] Widths { get; }

    /// <summary>
    /// <paramref name="count"/> chunks, the first <paramref name="firstWidth"/> bits wide (within what
    /// keeps every chunk at most <see cref="MaxWidth"/> bits and the first no wider than an even
    /// share), the other bits shared as evenly as possible, wider chunks first.
    /// </summary>
    /// <remarks>
    /// A segment reads chunk 0 as runs of whole hashes by its prefix (see <see cref="Segment"/>), so
    /// chunk-0 bits below the prefix filter nothing there, while in another chunk each bit halves the
    /// candidates. At 10M values (prefix 21 bits): chunk 0 of 21 bits leaves 5 chunks of 24 bits and 5
    /// of 23 instead of 2 and 8, and a radius-31 query fetches 2,515 instead of 2,953 candidate
    /// hashes (counted over 100 queries); at 1M, 193 instead of 295. (From about 2M values chunk 0 is
    /// capped below its prefix width: see <see cref="Segment.MaxFirstChunkBits"/>.)
    /// </remarks>
    public static ChunkLayout WithFirst(int count, int firstWidth)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 256 / MaxWidth + 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, 64);
        firstWidth = Math.Clamp(firstWidth, Math.Max(1, 256 - (MaxWidth * (count - 1))), 256 / count);
        var rest = 256 - firstWidth;
        var offsets = new int[count];
        var widths = new int[count];
        widths[0] = firstWidth;
        var offset = firstWidth;
        for (var c = 1; c < count; c++)
        {
            widths[c] = (rest / (count - 1)) + (c - 1 < rest % (count - 1) ? 1 : 0);
            offsets[c] = offset;
            offset += widths[c];
        }

        return new ChunkLayout(offsets, widths);
    }

    /// <summary>
    /// Per-chunk thresholds for <paramref name="radius"/> by the generalised pigeonhole principle:
    /// if the thresholds satisfy sum(t_c + 1) = radius + 1, any hash within the radius has some chunk c
    /// within t_c of the query (otherwise the distance would be at least radius + 1). A threshold of
    /// -1 means the chunk need not be probed at all, so small radii probe few chunks. When the units do
    /// not divide evenly, chunk 0 keeps the smaller threshold: its runs are checked on whole hashes
    /// (32 bytes each, see <see cref="Segment"/>) rather than 4-byte entries, so it is the dearest
    /// chunk to widen (at 1M values, 11 chunks: 1177 hashes read in chunk 0 at t = 2, 137 at t = 1).
    /// </summary>
    public void Thresholds(int radius, Span<int> thresholds)
    {
        var units = radius + 1;
        var count = Count;
        var extra = units % count;
        for (var c = 0; c < count; c++)
        {
            thresholds[c] = (units / count) + (c >= 1 && c <= extra ? 1 : 0) - 1;
        }
    }
}
