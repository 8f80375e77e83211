using System.Runtime.CompilerServices;

namespace HashForum.Imaging.Internal.Jpeg;

/// <summary>
/// One Huffman table of a DHT segment, ready for decoding: a lookup table for codes of up to
/// <see cref="LookupBits"/> bits, and libjpeg's per-length code ranges for the longer ones.
/// </summary>
internal sealed class JpegHuffmanTable
{
    /// <summary>
    /// Bits looked up at once; 10 covers nearly every code of a photo's tables, and most AC codes
    /// together with their extra bits (a 4 KB table, well inside L1).
    /// </summary>
    public const int LookupBits = 10;

    /// <summary>The run field of an end-of-block entry of <see cref="FastAc"/>: past any index.</summary>
    public const int EndOfBlockRun = 0x80;

    private const int MaxCodeLength = 16;

    // Lookup entry: (code length << 8) | symbol; 0 when the code is longer than LookupBits (or
    // matches no code at all).
    private readonly ushort[] _lookup = new ushort[1 << LookupBits];

    // For AC tables, a code and its extra bits decoded in one lookup when they fit in LookupBits
    // together: (value << 16) | (run << 8) | (code length + extra bits); an end-of-block code as
    // (EndOfBlockRun << 8) | code length; 0 otherwise (longer codes, ZRL, and codes whose extra
    // bits do not fit).
    private readonly int[] _fastAc;
    private readonly int[] _minCode = new int[MaxCodeLength + 1];
    private readonly int[] _counts = new int[MaxCodeLength + 1];
    private readonly int[] _firstIndex = new int[MaxCodeLength + 1];
    private readonly byte[] _symbols = new byte[256];

    /// <summary>The lookup table; exactly 2^<see cref="LookupBits"/> entries.</summary>
    public ushort[] Lookup => _lookup;

    /// <summary>
    /// A table of the given class: an AC table (<paramref name="ac"/>) also gets the
    /// <see cref="FastAc"/> table (4 KB, so DC tables go without it).
    /// </summary>
    public JpegHuffmanTable(bool ac)
    {
        _fastAc = ac ? new int[1 << LookupBits] : [];
    }

    /// <summary>The AC shortcut table; exactly 2^<see cref="LookupBits"/> entries for an AC table, empty for a DC one.</summary>
    public int[] FastAc => _fastAc;

    /// <summary>
    /// Builds the table from a DHT segment's 16 counts and its symbols; throws when the counts
    /// cannot form a prefix code (more than 256 symbols, or more codes of a length than exist).
    /// </summary>
    public void Build(ReadOnlySpan<byte> counts, ReadOnlySpan<byte> symbols)
    {
        var total = 0;
        for (var i = 0; i < MaxCodeLength; i++)
        {
            total += counts[i];
        }

        if (total > 256 || total != symbols.Length)
        {
            throw JpegLumaDecoder.Corrupt("a Huffman table is malformed");
        }

        symbols.CopyTo(_symbols);
        _lookup.AsSpan().Clear();
        var code = 0;
        var index = 0;
        for (var length = 1; length <= MaxCodeLength; length++)
        {
            var count = counts[length - 1];
            _counts[length] = count;
            _minCode[length] = code;
            _firstIndex[length] = index;
            for (var i = 0; i < count; i++, code++, index++)
            {
                // As libjpeg checks: the codes of one length must fit in that many bits, and the
                // code of all 1-bits is reserved.
                if (code >= (1 << length) - 1)
                {
                    throw JpegLumaDecoder.Corrupt("a Huffman table is malformed");
                }

                if (length <= LookupBits)
                {
                    var shift = LookupBits - length;
                    var entry = (ushort)((length << 8) | symbols[index]);
                    _lookup.AsSpan(code << shift, 1 << shift).Fill(entry);
                }
            }

            code <<= 1;
        }

        for (var peek = 0; peek < _fastAc.Length; peek++)
        {
            int entry = _lookup[peek];
            var length = entry >> 8;
            var run = (entry >> 4) & 15;
            var size = entry & 15;
            _fastAc[peek] = 0;
            if (entry == 0)
            {
                continue;
            }

            if (size == 0 && run != 15)
            {
                // As libjpeg reads it: size 0 with any run but 15 (ZRL) ends the block.
                _fastAc[peek] = (EndOfBlockRun << 8) | length;
            }
            else if (size != 0 && length + size <= LookupBits)
            {
                var extra = (peek >> (LookupBits - length - size)) & ((1 << size) - 1);
                var value = extra < 1 << (size - 1) ? extra - ((1 << size) - 1) : extra;
                _fastAc[peek] = (value << 16) | (run << 8) | (length + size);
            }
        }
    }

    /// <summary>
    /// Decodes a code longer than <see cref="LookupBits"/> from the next 16 bits of the stream;
    /// returns (length &lt;&lt; 8) | symbol, or -1 when no code matches.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int DecodeLong(int next16Bits)
    {
        for (var length = LookupBits + 1; length <= MaxCodeLength; length++)
        {
            var offset = (next16Bits >> (MaxCodeLength - length)) - _minCode[length];

            // Within the range of this length's codes: the unsigned compare also refuses
            // prefixes below the range, so the index is always inside the symbols.
            if ((uint)offset < (uint)_counts[length])
            {
                return (length << 8) | _symbols[_firstIndex[length] + offset];
            }
        }

        return -1;
    }
}
