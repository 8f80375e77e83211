using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace HashForum.Imaging.Internal.Jpeg;

/// <summary>
/// Reads the entropy-coded data of one scan, MSB first, through a 64-bit buffer; removes the
/// stuffed zero after each 0xFF data byte and stops at the first marker.
/// </summary>
/// <remarks>
/// Past a marker (or the end of the scan's bytes) the buffer is filled with zero bytes, as libjpeg
/// does, so that a Huffman lookup never reads outside the input; <see cref="Overran"/> then says
/// whether any of those invented bits was consumed, and the decoder refuses the file when one was
/// (libjpeg and ImageSharp would keep going and paint the rest of the image grey). Every read is
/// a bounds-checked span access.
/// </remarks>
internal ref struct JpegBitReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;
    private ulong _bits;
    private int _count;
    private int _paddingBytes;
    private bool _atMarker;

    public JpegBitReader(ReadOnlySpan<byte> data)
    {
        _data = data;
    }

    /// <summary>True when bits past the end of the scan's data were consumed.</summary>
    public readonly bool Overran => _count < _paddingBytes * 8;

    /// <summary>
    /// For decoders that keep the buffer in locals (registers) across a block: takes the state
    /// back, fills it to at least 32 bits, and hands it out again.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public (ulong Bits, int Count) Refill(ulong bits, int count)
    {
        _bits = bits;
        _count = count;
        Fill();
        return (_bits, _count);
    }

    public readonly ulong Bits => _bits;

    public readonly int Count => _count;

    /// <summary>Takes back the buffer state from a decoder that kept it in locals.</summary>
    public void Update(ulong bits, int count)
    {
        _bits = bits;
        _count = count;
    }

    /// <summary>
    /// At a restart interval's end: drops the rest of the current byte, skips anything up to the
    /// next marker and consumes it when it is the expected RSTn. Returns false otherwise.
    /// </summary>
    public bool TryRestart(int expected)
    {
        var position = _position;
        if (!_atMarker)
        {
            // Extraneous bytes before the marker are skipped, as libjpeg skips them.
            while (position < _data.Length - 1 && !(_data[position] == 0xFF && _data[position + 1] != 0x00))
            {
                position++;
            }
        }

        if (position >= _data.Length - 1 || _data[position] != 0xFF || _data[position + 1] != 0xD0 + (expected & 7))
        {
            return false;
        }

        _position = position + 2;
        _bits = 0;
        _count = 0;
        _paddingBytes = 0;
        _atMarker = false;
        return true;
    }

    private void Fill()
    {
        // Fast path: eight bytes without a 0xFF among them.
        if (!_atMarker && _position <= _data.Length - 8)
        {
            var next = BinaryPrimitives.ReadUInt64BigEndian(_data[_position..]);
            if (!HasFfByte(next))
            {
                var take = (64 - _count) >> 3;
                _bits |= (next >> (64 - (8 * take))) << (64 - _count - (8 * take));
                _position += take;
                _count += 8 * take;
                return;
            }
        }

        while (_count <= 56)
        {
            uint value = 0;
            if (_atMarker)
            {
                _paddingBytes++;
            }
            else if (_position < _data.Length - 1 && _data[_position] == 0xFF)
            {
                if (_data[_position + 1] == 0x00)
                {
                    value = 0xFF;
                    _position += 2;
                }
                else
                {
                    _atMarker = true;
                    _paddingBytes++;
                }
            }
            else if (_position < _data.Length && _data[_position] != 0xFF)
            {
                value = _data[_position++];
            }
            else
            {
                // The end of the scan's bytes (or a lone 0xFF at its very end).
                _atMarker = true;
                _paddingBytes++;
            }

            _bits |= (ulong)value << (56 - _count);
            _count += 8;
        }
    }

    // True when some byte of the word is 0xFF (the zero-byte test applied to its complement).
    private static bool HasFfByte(ulong word)
    {
        var inverted = ~word;
        return ((inverted - 0x0101010101010101UL) & ~inverted & 0x8080808080808080UL) != 0;
    }
}
