using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace HashForum.Imaging.Internal.Jpeg;

/// <summary>
/// Reads the entropy-coded data of one scan, MSB first, through a 64-bit buffer. Each restart
/// interval (segment) is first copied into a work buffer without the stuffed zero after each 0xFF
/// byte, up to the first marker, so that the Huffman decoder refills with one plain 8-byte load.
/// </summary>
/// <remarks>
/// <para>
/// Copying a segment finds its end (the marker) once, with a vectorised search for 0xFF, and costs
/// a memcpy of the scan; the decoder's refill then needs no test for 0xFF or markers at all (the
/// branchless refill of Giesen's "Reading bits in far too many ways", variant 4).
/// </para>
/// <para>
/// Past the segment's end the work buffer holds <see cref="Padding"/> zero bytes, and every load
/// is at min(<see cref="Position"/>, <see cref="End"/>), so it stays inside the buffer however far
/// a hostile stream runs on; what it reads there are zero bits, as libjpeg feeds zeros past a
/// marker. <see cref="Overran"/> then says whether any of those invented bits was consumed, and
/// the decoder refuses the file when one was (libjpeg and ImageSharp would keep going and paint
/// the rest of the image grey).
/// </para>
/// </remarks>
internal ref struct JpegBitReader
{
    /// <summary>Zero bytes after a segment's data in the work buffer: one 8-byte load.</summary>
    public const int Padding = 8;

    private readonly ReadOnlySpan<byte> _scan;
    private readonly Span<byte> _buffer;

    // Where, in the scan's bytes, the marker (or the end of the data) that ends the segment is.
    private int _segmentEnd;

    /// <summary>
    /// Starts at the first segment of <paramref name="scan"/> (the bytes after the SOS header, to the
    /// end of the file), with <paramref name="buffer"/> as work space of at least
    /// <c>scan.Length + <see cref="Padding"/></c> bytes.
    /// </summary>
    public JpegBitReader(ReadOnlySpan<byte> scan, Span<byte> buffer)
    {
        if (buffer.Length < scan.Length + Padding)
        {
            throw new ArgumentException("The work buffer is too short.", nameof(buffer));
        }

        _scan = scan;
        _buffer = buffer;
        LoadSegment(0);
    }

    /// <summary>Bits not yet consumed, MSB first; the first <see cref="Count"/> are valid.</summary>
    public ulong Bits { get; set; }

    /// <summary>Valid bits in <see cref="Bits"/>.</summary>
    public int Count { get; set; }

    /// <summary>The next byte of the work buffer to load into <see cref="Bits"/>.</summary>
    public int Position { get; set; }

    /// <summary>The length of the current segment's data in the work buffer; zeros follow.</summary>
    public int End { get; private set; }

    /// <summary>
    /// The work buffer's first byte; <see cref="End"/> + <see cref="Padding"/> bytes from it are
    /// readable (the constructor checked the length).
    /// </summary>
    public readonly ref byte Buffer => ref MemoryMarshal.GetReference(_buffer);

    /// <summary>True when bits past the end of the segment's data were consumed.</summary>
    public readonly bool Overran => (8L * Position) - Count > 8L * End;

    /// <summary>Where, in the scan's bytes, the marker that ended the last segment read is.</summary>
    public readonly int SegmentEnd => _segmentEnd;

    /// <summary>
    /// Fills <paramref name="bits"/> to at least 56 valid bits: one big-endian load at
    /// min(position, end), whose 8 bytes lie in the buffer because <paramref name="end"/> is
    /// <see cref="End"/> (the caller's copy of it), followed by <see cref="Padding"/> readable bytes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Refill(ref byte buffer, int end, ref ulong bits, ref int count, ref int position)
    {
        var next = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref buffer, (nuint)(uint)Math.Min(position, end)));
        bits |= (BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(next) : next) >> count;
        position += (63 - count) >> 3;
        count |= 56;
    }

    /// <summary>
    /// At a restart interval's end: the rest of the segment is dropped (libjpeg skips extraneous
    /// bytes before the marker too), and the marker that ended it must be the expected RSTn;
    /// returns false otherwise. The next segment is loaded after it.
    /// </summary>
    public bool TryRestart(int expected)
    {
        var at = _segmentEnd;
        if (at >= _scan.Length - 1 || _scan[at] != 0xFF || _scan[at + 1] != 0xD0 + (expected & 7))
        {
            return false;
        }

        LoadSegment(at + 2);
        return true;
    }

    /// <summary>
    /// Copies the scan's bytes from <paramref name="start"/> to the first marker (0xFF followed by
    /// anything but 0x00, or a lone 0xFF at the very end) into the work buffer without stuffing.
    /// </summary>
    private void LoadSegment(int start)
    {
        var position = start;
        var length = 0;
        while (position < _scan.Length)
        {
            var rest = _scan[position..];
            var next = rest.IndexOf((byte)0xFF);
            if (next < 0)
            {
                rest.CopyTo(_buffer[length..]);
                length += rest.Length;
                position = _scan.Length;
                break;
            }

            rest[..next].CopyTo(_buffer[length..]);
            length += next;
            position += next;
            if (position + 1 >= _scan.Length || _scan[position + 1] != 0x00)
            {
                break;
            }

            _buffer[length++] = 0xFF;
            position += 2;
        }

        _buffer.Slice(length, Padding).Clear();
        _segmentEnd = position;
        End = length;
        Position = 0;
        Count = 0;
        Bits = 0;
    }
}
