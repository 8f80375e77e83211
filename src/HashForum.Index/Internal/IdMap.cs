using System.Runtime.Intrinsics.X86;

namespace HashForum.Index.Internal;

/// <summary>Where an id lives: a segment (or the tail) and an id entry in it.</summary>
internal interface IIdSource
{
    long IdAt(int entry);
}

/// <summary>
/// Id to location, as an open-addressing table of <c>int</c> locations only: the id itself is read back
/// from the segment the location points to, so the table costs about 6 bytes per id instead of the
/// 25 or so of a <c>Dictionary&lt;long, int&gt;</c>. A location packs a 4-bit source key above a
/// 27-bit id entry, leaving the sign bit for the empty and deleted markers; so a segment holds at most
/// 2^27 (134 million) ids: one AddRange may carry no more, and segments stop merging below it.
/// Writer only.
/// </summary>
internal sealed class IdMap
{
    public const int KeyBits = 4;
    public const int EntryBits = 31 - KeyBits;
    public const int MaxEntries = 1 << EntryBits;
    public const int KeyCount = 1 << KeyBits;

    private const int Empty = -1;
    private const int Deleted = -2;

    private readonly IIdSource?[] _sources;
    private int[] _slots;
    private int _bits;
    private int _used;

    public IdMap(IIdSource?[] sources, int expected)
    {
        _sources = sources;
        _bits = Math.Max(4, Bits.BitsFor((int)Math.Min(int.MaxValue / 2, (expected * 5L / 3) + 1)));
        _slots = NewTable(_bits);
    }

    public int Count { get; private set; }

    public long ArrayBytes => _slots.Length * 4L;

    public static int Location(int key, int entry) => (key << EntryBits) | entry;

    public static int KeyOf(int location) => (int)((uint)location >> EntryBits);

    public static int EntryOf(int location) => location & (MaxEntries - 1);

    /// <summary>The location of <paramref name="id"/>, or -1.</summary>
    public int Find(long id)
    {
        var slot = FindSlot(id);
        return slot < 0 ? -1 : _slots[slot];
    }

    /// <summary>Adds the id; false if it is already present.</summary>
    public bool TryAdd(long id, int location)
    {
        if (FindSlot(id) >= 0)
        {
            return false;
        }

        if ((_used + 1) * 5L > _slots.Length * 3L)
        {
            Resize(Count + 1);
        }

        var mask = _slots.Length - 1;
        for (var i = Home(id, _bits); ; i = (i + 1) & mask)
        {
            var s = _slots[i];
            if (s == Empty || s == Deleted)
            {
                if (s == Empty)
                {
                    _used++;
                }

                _slots[i] = location;
                Count++;
                return true;
            }
        }
    }

    /// <summary>
    /// Adds every id of a new source (entries 0..count-1 under <paramref name="key"/>), prefetching the
    /// table a few ids ahead. Returns the first entry whose id was already present, or -1 if all went in.
    /// </summary>
    public unsafe int TryAddAll(IIdSource source, int key, int count)
    {
        if ((long)(_used + count) * 5 > _slots.Length * 3L)
        {
            Resize(Count + count);
        }

        const int Ahead = 16;
        for (var e = 0; e < count; e++)
        {
            if (e + Ahead < count)
            {
                fixed (int* at = &_slots[Home(source.IdAt(e + Ahead), _bits)])
                {
                    Sse.Prefetch0(at);
                }
            }

            if (!TryAdd(source.IdAt(e), Location(key, e)))
            {
                return e;
            }
        }

        return -1;
    }

    /// <summary>Removes the id and returns where it was, or -1.</summary>
    public int Remove(long id)
    {
        var slot = FindSlot(id);
        if (slot < 0)
        {
            return -1;
        }

        var location = _slots[slot];
        _slots[slot] = Deleted;
        Count--;
        return location;
    }

    /// <summary>Points a present id at a new location (after a rebuild moved it).</summary>
    public void Move(long id, int location)
    {
        var slot = FindSlot(id);
        if (slot < 0)
        {
            throw new InvalidOperationException($"id {id} is not in the index");
        }

        _slots[slot] = location;
    }

    private int FindSlot(long id)
    {
        var mask = _slots.Length - 1;
        for (var i = Home(id, _bits); ; i = (i + 1) & mask)
        {
            var s = _slots[i];
            if (s == Empty)
            {
                return -1;
            }

            if (s != Deleted && _sources[KeyOf(s)]!.IdAt(EntryOf(s)) == id)
            {
                return i;
            }
        }
    }

    private void Resize(int live)
    {
        var old = _slots;
        _bits = Math.Max(_bits, Bits.BitsFor((int)Math.Min(int.MaxValue / 2, (live * 10L / 3) + 1)));
        _slots = NewTable(_bits);
        _used = 0;
        var mask = _slots.Length - 1;
        foreach (var s in old)
        {
            if (s < 0)
            {
                continue;
            }

            var i = Home(_sources[KeyOf(s)]!.IdAt(EntryOf(s)), _bits);
            while (_slots[i] != Empty)
            {
                i = (i + 1) & mask;
            }

            _slots[i] = s;
            _used++;
        }
    }

    private static int[] NewTable(int bits)
    {
        var table = new int[1 << bits];
        Array.Fill(table, Empty);
        return table;
    }

    private static int Home(long id, int bits) => (int)(((ulong)id * 0x9E3779B97F4A7C15UL) >> (64 - bits));
}
