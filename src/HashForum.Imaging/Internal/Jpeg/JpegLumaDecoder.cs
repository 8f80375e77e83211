using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace HashForum.Imaging.Internal.Jpeg;

/// <summary>
/// Decodes a sequential Huffman-coded 8-bit JPEG straight into PDQ luminance, the way the PDQ
/// reference's decoder (ImageMagick on libjpeg-turbo) computes it, at about twice the speed of
/// ImageSharp's full RGB decode.
/// </summary>
/// <remarks>
/// <para>
/// No RGB image is ever made. Y is transformed with libjpeg's float IDCT (<see cref="JpegFloatIdct"/>,
/// what ImageMagick asks for) straight into the luminance buffer. A JFIF file's Y is already BT.601
/// luminance up to the rounding and clamping of R, G and B, but that rounding moves PDQ bits on
/// some photos, so the chroma planes are decoded at their own resolution and <see cref="JpegColour"/>
/// redoes libjpeg's upsampling and integer colour conversion only to weigh the result, row by row.
/// When every chroma coefficient is zero the picture is neutral grey (R = G = B = Y): Y is used as
/// is and the image counts as grey, the same verdict ImageDecoder's pixel check gives.
/// </para>
/// <para>
/// Scope (<see cref="TryReadFrame"/> returns null otherwise, and the caller uses ImageSharp as
/// before): SOF0 or SOF1, 8-bit, 1 component or 3 components read as YCbCr (no Adobe marker with a
/// transform other than YCbCr, component ids not 'R', 'G', 'B'), luma at the highest sampling
/// factors and chroma at a whole fraction of them, each component in exactly one scan of the whole
/// spectrum. Progressive, arithmetic, lossless, 12-bit, CMYK/YCCK and RGB files, and DNL-sized
/// frames, take the ImageSharp path.
/// </para>
/// <para>
/// Hostile input: every header field is checked before use, the entropy data is copied through
/// bounds-checked spans into a padded work buffer and read there only at positions clamped to it
/// (<see cref="JpegBitReader"/>), every loop is bounded by the image's block
/// count or the input's length, buffers come from the decoder's counted pool, and the time budget
/// is checked every MCU row. Damage that would make libjpeg or ImageSharp guess (a scan that ends
/// before the image does, a code that is in no table, a coefficient index past 63, a missing
/// restart marker or table) is refused.
/// </para>
/// </remarks>
internal static class JpegLumaDecoder
{
    private const string Format = "JPEG";

    // Blocks in one MCU of an interleaved scan at most (the JPEG standard's limit, T.81 B.2.3).
    private const int MaxBlocksPerMcu = 10;

    // Natural (row-major) index of the k-th coefficient in zigzag order.
    private static ReadOnlySpan<byte> ZigZag =>
    [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
        12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
        58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
    ];

    /// <summary>
    /// Reads the frame of a JPEG whose structure <see cref="JpegStructure"/> has checked; returns
    /// null when the file is not for the fast path.
    /// </summary>
    /// <exception cref="ImageDecodeException">No scan codes the luma component.</exception>
    public static JpegFrame? TryReadFrame(ReadOnlySpan<byte> data)
    {
        JpegFrame? frame = null;
        var adobeTransform = -1;
        Span<int> scansOf = stackalloc int[3];
        var position = 2;
        while (true)
        {
            if (!TryNextMarker(data, ref position, out var marker))
            {
                return null;
            }

            if (marker == 0xD9)
            {
                break;
            }

            if (marker is (>= 0xD0 and <= 0xD7) or 0x01)
            {
                continue;
            }

            if (!TrySegment(data, position, out var segment))
            {
                return null;
            }

            switch (marker)
            {
                case 0xC0 or 0xC1:
                    if (frame is not null || (frame = ParseFrame(segment)) is null)
                    {
                        return null;
                    }

                    break;
                case (>= 0xC2 and <= 0xCF) and not 0xC4 and not 0xC8:
                    return null; // progressive, lossless, hierarchical, arithmetic coding (DAC)
                case 0xDC:
                    return null; // DNL: the height comes after the first scan
                case 0xEE:
                    if (segment.Length >= 12 && segment.StartsWith("Adobe"u8))
                    {
                        adobeTransform = segment[11];
                    }

                    break;
                case 0xDA:
                    if (frame is null || !TryCheckScan(frame, segment, scansOf))
                    {
                        return null;
                    }

                    position = SkipEntropyCodedData(data, position + segment.Length + 2);
                    continue;
            }

            position += segment.Length + 2;
        }

        if (frame is null)
        {
            return null;
        }

        var components = frame.Components;
        if (components.Length == 3)
        {
            // Read as RGB by ImageSharp (and libjpeg): an Adobe marker saying "no transform", or
            // component ids spelling R, G, B.
            if ((adobeTransform >= 0 && adobeTransform != 1) || (components[0].Id == 'R' && components[1].Id == 'G' && components[2].Id == 'B'))
            {
                return null;
            }

            if (scansOf[1] != 1 || scansOf[2] != 1)
            {
                return null;
            }
        }

        if (scansOf[0] == 0)
        {
            throw Corrupt("no scan holds the image's luma");
        }

        return scansOf[0] == 1 ? frame : null;
    }

    /// <summary>
    /// Decodes the luma of a file <see cref="TryReadFrame"/> accepted, into a buffer from
    /// <paramref name="allocator"/> that the caller owns.
    /// </summary>
    public static LumaImage Decode(ReadOnlySpan<byte> data, JpegFrame frame, CountingMemoryAllocator allocator, DecodeDeadline deadline)
    {
        var buffer = allocator.AllocateForCaller<float>(frame.Width * frame.Height);
        var state = new DecodeState(frame);
        try
        {
            if (frame.Components.Length == 3)
            {
                var (across, down) = frame.Mcus;
                for (var i = 1; i < 3; i++)
                {
                    var component = frame.Components[i];
                    state.PlaneStride[i] = across * component.Horizontal * 8;
                    // Padded by one vector: the upsampler reads whole 16-lane vectors of a row, which may
                    // pass the stride's end on the last row (the values there are never used).
                    state.Planes[i] = allocator.Allocate<short>((state.PlaneStride[i] * down * component.Vertical * 8) + 16);
                }
            }

            if (frame.Components.Length == 3)
            {
                state.ColourRows = allocator.Allocate<short>(JpegColour.RowBufferLength(frame.Width));
            }

            // Room for any scan's bytes without stuffing, plus the reader's padding.
            state.Entropy = allocator.Allocate<byte>(data.Length + JpegBitReader.Padding);

            var luma = buffer.Memory.Span[..(frame.Width * frame.Height)];
            Run(data, state, luma, deadline);

            // Chroma all zero: the picture is neutral grey, R = G = B = Y, and the reference's
            // decoder sees a grey image whose samples it uses as is (as ImageDecoder does for
            // colour files whose every pixel is neutral).
            var fromGrey = frame.Components.Length == 1 || !state.ChromaSeen;
            if (!fromGrey)
            {
                deadline.ThrowIfExpired();
                JpegColour.ToLuminance(state, luma, state.Height);
            }

            return new LumaImage(buffer, frame.Width, frame.Height, ContainerSniffer.Name(ContainerKind.Jpeg), fromGrey);
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
        finally
        {
            state.Planes[1]?.Dispose();
            state.Planes[2]?.Dispose();
            state.ColourRows?.Dispose();
            state.Entropy?.Dispose();
        }
    }

    internal static ImageDecodeException Corrupt(string problem) => DecodeErrors.Corrupt(Format, problem);

    private static void Run(ReadOnlySpan<byte> data, DecodeState state, Span<float> luma, DecodeDeadline deadline)
    {
        var position = 2;
        while (true)
        {
            // TryReadFrame walked the same markers, so this cannot fail; if it did, the luma would
            // not be complete, so it is an error, not an end.
            if (!TryNextMarker(data, ref position, out var marker))
            {
                throw Corrupt("its marker structure is damaged");
            }

            if (marker == 0xD9)
            {
                return;
            }

            if (marker is (>= 0xD0 and <= 0xD7) or 0x01)
            {
                continue;
            }

            if (!TrySegment(data, position, out var segment))
            {
                throw Corrupt("its marker structure is damaged");
            }

            switch (marker)
            {
                case 0xDB:
                    ReadQuantTables(segment, state);
                    break;
                case 0xC4:
                    ReadHuffmanTables(segment, state);
                    break;
                case 0xDD:
                    if (segment.Length != 2)
                    {
                        throw Corrupt("its restart interval segment is malformed");
                    }

                    state.RestartInterval = BinaryPrimitives.ReadUInt16BigEndian(segment);
                    break;
                case 0xDA:
                    // The reader finds where the scan's data ends as it goes (the marker after
                    // its last segment), so the search for the next marker starts there.
                    var start = position + segment.Length + 2;
                    position = SkipEntropyCodedData(data, start + DecodeScan(data[start..], segment, state, luma, deadline));
                    continue;
            }

            position += segment.Length + 2;
        }
    }

    private static JpegFrame? ParseFrame(ReadOnlySpan<byte> segment)
    {
        if (segment.Length < 6)
        {
            return null;
        }

        int precision = segment[0];
        int height = BinaryPrimitives.ReadUInt16BigEndian(segment[1..]);
        int width = BinaryPrimitives.ReadUInt16BigEndian(segment[3..]);
        int count = segment[5];
        if (precision != 8 || width == 0 || height == 0 || count is not (1 or 3) || segment.Length != 6 + (3 * count))
        {
            return null;
        }

        var components = new JpegComponent[count];
        for (var i = 0; i < count; i++)
        {
            var entry = segment.Slice(6 + (3 * i), 3);
            var component = new JpegComponent(entry[0], entry[1] >> 4, entry[1] & 15, entry[2]);
            if (component.Horizontal is < 1 or > 4 || component.Vertical is < 1 or > 4 || component.QuantTable > 3)
            {
                return null;
            }

            for (var j = 0; j < i; j++)
            {
                if (components[j].Id == component.Id)
                {
                    return null;
                }
            }

            components[i] = component;
        }

        var frame = new JpegFrame(width, height, components);

        // Luma at full resolution (anything else would need upsampling of Y), chroma at a whole
        // fraction of it (what libjpeg's upsamplers handle).
        foreach (var component in components)
        {
            if (frame.MaxHorizontal % component.Horizontal != 0 || frame.MaxVertical % component.Vertical != 0)
            {
                return null;
            }
        }

        return components[0].Horizontal == frame.MaxHorizontal && components[0].Vertical == frame.MaxVertical ? frame : null;
    }

    /// <summary>Checks a scan header against the frame and counts the scans of each component.</summary>
    private static bool TryCheckScan(JpegFrame frame, ReadOnlySpan<byte> segment, Span<int> scansOf)
    {
        if (!TryParseScan(frame, segment, out var scan))
        {
            return false;
        }

        var blocksPerMcu = 0;
        for (var i = 0; i < scan.Count; i++)
        {
            var component = frame.Components[scan.Component(i)];
            blocksPerMcu += component.Horizontal * component.Vertical;
            scansOf[scan.Component(i)]++;
        }

        return scan.Count == 1 || blocksPerMcu <= MaxBlocksPerMcu;
    }

    private static bool TryParseScan(JpegFrame frame, ReadOnlySpan<byte> segment, out ScanHeader scan)
    {
        scan = default;
        if (segment.Length < 1)
        {
            return false;
        }

        int count = segment[0];
        if (count < 1 || count > frame.Components.Length || segment.Length != 4 + (2 * count))
        {
            return false;
        }

        // Sequential: the whole spectrum, no successive approximation.
        var spectrum = segment[(1 + (2 * count))..];
        if (spectrum[0] != 0 || spectrum[1] != 63 || spectrum[2] != 0)
        {
            return false;
        }

        var used = 0;
        for (var i = 0; i < count; i++)
        {
            int id = segment[1 + (2 * i)];
            int tables = segment[2 + (2 * i)];
            var index = Array.FindIndex(frame.Components, c => c.Id == id);
            if (index < 0 || (used & (1 << index)) != 0 || (tables >> 4) > 3 || (tables & 15) > 3)
            {
                return false;
            }

            used |= 1 << index;
            scan = scan.With(i, index, tables >> 4, tables & 15);
        }

        scan = scan with { Count = count };
        return true;
    }

    private static void ReadQuantTables(ReadOnlySpan<byte> segment, DecodeState state)
    {
        while (!segment.IsEmpty)
        {
            var precision = segment[0] >> 4;
            var id = segment[0] & 15;
            var size = precision == 0 ? 64 : 128;
            if (precision > 1 || id > 3 || segment.Length < 1 + size)
            {
                throw Corrupt("a quantisation table is malformed");
            }

            var table = state.Quant[id];
            for (var k = 0; k < 64; k++)
            {
                table[ZigZag[k]] = precision == 0 ? segment[1 + k] : BinaryPrimitives.ReadUInt16BigEndian(segment[(1 + (2 * k))..]);
            }

            state.QuantDefined[id] = true;
            segment = segment[(1 + size)..];
        }
    }

    private static void ReadHuffmanTables(ReadOnlySpan<byte> segment, DecodeState state)
    {
        while (!segment.IsEmpty)
        {
            var tableClass = segment[0] >> 4;
            var id = segment[0] & 15;
            if (tableClass > 1 || id > 3 || segment.Length < 17)
            {
                throw Corrupt("a Huffman table is malformed");
            }

            var counts = segment.Slice(1, 16);
            var total = 0;
            foreach (var count in counts)
            {
                total += count;
            }

            if (segment.Length < 17 + total)
            {
                throw Corrupt("a Huffman table is malformed");
            }

            var tables = tableClass == 0 ? state.Dc : state.Ac;
            tables[id] ??= new JpegHuffmanTable(ac: tableClass == 1);
            tables[id]!.Build(counts, segment.Slice(17, total));
            segment = segment[(17 + total)..];
        }
    }

    /// <summary>Decodes one scan; returns where, in <paramref name="entropy"/>, the marker after its last segment is.</summary>
    private static int DecodeScan(ReadOnlySpan<byte> entropy, ReadOnlySpan<byte> header, DecodeState state, Span<float> luma, DecodeDeadline deadline)
    {
        var frame = state.Frame;
        if (!TryParseScan(frame, header, out var scan))
        {
            throw Corrupt("a scan header is malformed"); // TryReadFrame accepted it: cannot happen
        }

        var dc = new JpegHuffmanTable[scan.Count];
        var ac = new JpegHuffmanTable[scan.Count];
        for (var i = 0; i < scan.Count; i++)
        {
            dc[i] = state.Dc[scan.DcTable(i)] ?? throw Corrupt("a scan uses a Huffman table that is not defined");
            ac[i] = state.Ac[scan.AcTable(i)] ?? throw Corrupt("a scan uses a Huffman table that is not defined");
            if (!state.QuantDefined[frame.Components[scan.Component(i)].QuantTable])
            {
                throw Corrupt("it uses a quantisation table that is not defined");
            }
        }

        var reader = new JpegBitReader(entropy, state.Entropy!.Memory.Span);

        // The chroma planes, looked up once (each lookup goes through two memory managers).
        var cbPlane = state.Planes[1] is { } cbOwner ? cbOwner.Memory.Span : default;
        var crPlane = state.Planes[2] is { } crOwner ? crOwner.Memory.Span : default;
        Span<int> predictors = stackalloc int[4];
        Span<int> samples = stackalloc int[64];

        // The blocks of one MCU in coding order: each one's slot in the scan (its tables and
        // predictor), coefficients and mask. TryCheckScan allows at most 10 blocks per MCU.
        Span<byte> blockSlots = stackalloc byte[MaxBlocksPerMcu];
        var blocks = 0;
        for (var i = 0; i < scan.Count; i++)
        {
            var component = frame.Components[scan.Component(i)];
            for (var b = scan.Count == 1 ? 1 : component.Horizontal * component.Vertical; b > 0; b--)
            {
                blockSlots[blocks++] = (byte)i;
            }
        }

        blockSlots = blockSlots[..blocks];
        Span<int> coefficients = stackalloc int[MaxBlocksPerMcu * 64];
        Span<int> masks = stackalloc int[MaxBlocksPerMcu];
        Span<float> multipliers = stackalloc float[3 * 64];
        for (var i = 0; i < scan.Count; i++)
        {
            JpegFloatIdct.Multipliers(state.Quant[frame.Components[scan.Component(i)].QuantTable], multipliers.Slice(64 * i, 64));
        }

        var width = frame.Width;
        var height = frame.Height;
        var interval = state.RestartInterval;
        var untilRestart = interval;
        var restarts = 0;
        var chromaSeen = false;

        int across, down;
        if (scan.Count == 1)
        {
            (across, down) = frame.BlocksOf(frame.Components[scan.Component(0)]);
        }
        else
        {
            (across, down) = frame.Mcus;
        }

        var prefetcher = new RowPrefetcher(frame, scan, state, luma, cbPlane, crPlane, down);

        for (var mcuY = 0; mcuY < down; mcuY++)
        {
            deadline.ThrowIfExpired();
            for (var mcuX = 0; mcuX < across; mcuX++)
            {
                if (interval > 0)
                {
                    if (untilRestart == 0)
                    {
                        if (reader.Overran)
                        {
                            throw DecodeErrors.Truncated(Format);
                        }

                        if (!reader.TryRestart(restarts++))
                        {
                            throw Corrupt("a restart marker is missing or out of order");
                        }

                        predictors.Clear();
                        untilRestart = interval;
                    }

                    untilRestart--;
                }

                DecodeMcu(ref reader, blockSlots, dc, ac, predictors, coefficients, masks);
                prefetcher.Below(mcuX, mcuY);
                var block = 0;
                for (var i = 0; i < scan.Count; i++)
                {
                    var index = scan.Component(i);
                    var component = frame.Components[index];
                    var (blocksAcross, blocksDown) = scan.Count == 1 ? (1, 1) : (component.Horizontal, component.Vertical);
                    var blockMultipliers = multipliers.Slice(64 * i, 64);
                    for (var v = 0; v < blocksDown; v++)
                    {
                        for (var h = 0; h < blocksAcross; h++, block++)
                        {
                            var mask = masks[block];
                            var blockCoefficients = coefficients.Slice(64 * block, 64);
                            var x = ((mcuX * blocksAcross) + h) * 8;
                            var y = ((mcuY * blocksDown) + v) * 8;
                            if (index == 0)
                            {
                                if (x + 8 <= width && y + 8 <= height)
                                {
                                    // A whole block inside the image, straight to floats.
                                    JpegFloatIdct.TransformToLuma(blockCoefficients, mask, blockMultipliers, luma[((y * width) + x)..], width);
                                }
                                else if (x < width && y < height)
                                {
                                    Samples(blockCoefficients, mask, blockMultipliers, samples);
                                    WriteLuma(samples, luma[((y * width) + x)..], width, Math.Min(8, width - x), Math.Min(8, height - y));
                                }
                            }
                            else
                            {
                                // A nonzero mask means a nonzero AC coefficient.
                                chromaSeen = chromaSeen || blockCoefficients[0] != 0 || mask != 0;
                                var stride = state.PlaneStride[index];
                                var target = (index == 1 ? cbPlane : crPlane)[((y * stride) + x)..];
                                if (mask == 0)
                                {
                                    WriteFlatChroma(JpegFloatIdct.Flat(blockCoefficients[0], blockMultipliers[0]), target, stride);
                                }
                                else
                                {
                                    JpegFloatIdct.Transform(blockCoefficients, mask, blockMultipliers, target, stride);
                                }
                            }

                            blockCoefficients.Clear();
                        }
                    }
                }
            }

            if (reader.Overran)
            {
                throw DecodeErrors.Truncated(Format);
            }

            // With every component in this scan, the rows whose chroma is complete are weighed
            // now, while they are still in the cache (not while the picture may still be neutral
            // grey: then Y is kept as is, see Decode).
            state.ChromaSeen |= chromaSeen;
            if (scan.Count == 3 && state.ChromaSeen)
            {
                JpegColour.ToLuminance(state, luma, Math.Min(height, ((mcuY + 1) * 8 * frame.MaxVertical) - 1));
            }
        }

        return reader.SegmentEnd;
    }

    /// <summary>The samples of a block; a block with only a DC term is flat, without the transform.</summary>
    private static void Samples(ReadOnlySpan<int> coefficients, int mask, ReadOnlySpan<float> multipliers, Span<int> samples)
    {
        if (mask == 0)
        {
            // What every path of the transform gives for a lone DC term: DC * its multiplier.
            samples[..64].Fill(JpegFloatIdct.Flat(coefficients[0], multipliers[0]));
        }
        else
        {
            JpegFloatIdct.Transform(coefficients, mask, multipliers, samples);
        }
    }

    private static void WriteLuma(ReadOnlySpan<int> samples, Span<float> target, int stride, int width, int height)
    {
        for (var row = 0; row < height; row++)
        {
            var source = samples.Slice(row * 8, width);
            var destination = target.Slice(row * stride, width);
            if (width == 8 && Vector256.IsHardwareAccelerated)
            {
                Vector256.ConvertToSingle(Vector256.Create(source)).CopyTo(destination);
                continue;
            }

            for (var x = 0; x < width; x++)
            {
                destination[x] = source[x];
            }
        }
    }

    private static void WriteFlatChroma(int value, Span<short> target, int stride)
    {
        for (var row = 0; row < 8; row++)
        {
            target.Slice(row * stride, 8).Fill((short)value);
        }
    }

    /// <summary>
    /// Decodes the blocks of one MCU (<paramref name="slots"/>: each block's slot in the scan, which
    /// picks its tables and predictor) into <paramref name="coefficients"/>, 64 a block in natural
    /// order, which must be zero. Each block's entry of <paramref name="masks"/> is the bitwise OR of
    /// the natural indices of its nonzero AC coefficients: 0 when there is none (the block is
    /// flat), and no bit 2 or 5 (<see cref="JpegFloatIdct.Outside4x4"/>) when they all lie in the
    /// top-left 4x4, which the transform does in fewer steps.
    /// </summary>
    /// <remarks>
    /// The hot loop of the decoder. The bit buffer lives in locals (registers) for the whole MCU
    /// and goes back to the reader at the end: one call, and one trip of the buffer through
    /// memory, an MCU rather than a block. Every step starts with the reader's branchless
    /// refill (one load, no call), then one lookup in <see cref="JpegHuffmanTable.FastAc"/> gives
    /// code, run and value together; the end-of-block code has a run past any index, so one
    /// range test covers it and the overlong block. Everything else (long codes, ZRL, codes whose
    /// extra bits do not fit the lookup) takes the slower branch. The table reads index with the
    /// top <see cref="JpegHuffmanTable.LookupBits"/> bits of a 64-bit word, and the tables have
    /// exactly that many entries, so those reads skip the bounds check. Every value stored is
    /// nonzero (an extra-bits size of 0 stores nothing), so the mask is exact.
    /// </remarks>
    private static void DecodeMcu(
        ref JpegBitReader reader, scoped ReadOnlySpan<byte> slots, JpegHuffmanTable[] dcTables, JpegHuffmanTable[] acTables,
        scoped Span<int> predictors, scoped Span<int> coefficients, scoped Span<int> masks)
    {
        const int PeekShift = 64 - JpegHuffmanTable.LookupBits;
        ref var buffer = ref reader.Buffer;
        var end = reader.End;
        var bits = reader.Bits;
        var count = reader.Count;
        var position = reader.Position;
        for (var b = 0; b < slots.Length; b++)
        {
            var slot = slots[b];
            var dc = dcTables[slot];
            var ac = acTables[slot];
            JpegBitReader.Refill(ref buffer, end, ref bits, ref count, ref position);

            int entry = Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(dc.Lookup), (nint)(bits >> PeekShift));
            if (entry == 0)
            {
                entry = dc.DecodeLong((int)(bits >> 48));
                if (entry < 0)
                {
                    throw Corrupt("its image data holds a code that is in no Huffman table");
                }
            }

            bits <<= entry >> 8;
            count -= entry >> 8;
            var size = entry & 0xFF;
            if (size > 15)
            {
                throw Corrupt("a DC coefficient is malformed");
            }

            ref var predictor = ref predictors[slot];
            if (size != 0)
            {
                predictor += Extend(bits, size);
                bits <<= size;
                count -= size;
            }

            // The slice proves 64 entries, and every ZigZag entry is below 64, so the unchecked stores
            // below stay inside; `(uint)at > 63` lets the JIT drop the check of ZigZag[at] too.
            ref var block = ref MemoryMarshal.GetReference(coefficients.Slice(64 * b, 64));
            block = predictor;
            ref var fastAc = ref MemoryMarshal.GetArrayDataReference(ac.FastAc);
            var k = 1;
            var mask = 0;
            while (true)
            {
                // Four symbols per refill: it leaves at least 56 bits, a fast entry takes at most
                // LookupBits (10), and the slower branch refills before it reads. Fewer refills keep
                // the refill's load (whose address hangs on the bits consumed) off most steps of the
                // chain from one symbol's lookup to the next.
                JpegBitReader.Refill(ref buffer, end, ref bits, ref count, ref position);
                if (!FastSymbol(ref fastAc, ref block, ref bits, ref count, ref k, ref mask))
                {
                    goto Slow;
                }

                if (k > 63)
                {
                    break;
                }

                if (!FastSymbol(ref fastAc, ref block, ref bits, ref count, ref k, ref mask))
                {
                    goto Slow;
                }

                if (k > 63)
                {
                    break;
                }

                if (!FastSymbol(ref fastAc, ref block, ref bits, ref count, ref k, ref mask))
                {
                    goto Slow;
                }

                if (k > 63)
                {
                    break;
                }

                if (!FastSymbol(ref fastAc, ref block, ref bits, ref count, ref k, ref mask))
                {
                    goto Slow;
                }

                if (k > 63)
                {
                    break;
                }

                continue;

            Slow:
                // A code longer than the lookup, ZRL, or extra bits that did not fit: up to 31 bits.
                JpegBitReader.Refill(ref buffer, end, ref bits, ref count, ref position);
                entry = Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(ac.Lookup), (nint)(bits >> PeekShift));
                if (entry == 0)
                {
                    // Inlined (a short loop): a call here would make the JIT keep the loop's
                    // variables on the stack.
                    entry = ac.DecodeLong((int)(bits >> 48));
                    if (entry < 0)
                    {
                        throw Corrupt("its image data holds a code that is in no Huffman table");
                    }
                }

                bits <<= entry >> 8;
                count -= entry >> 8;
                var run = (entry >> 4) & 15;
                size = entry & 15;
                if (size == 0)
                {
                    if (run != 15)
                    {
                        break; // end of block
                    }

                    k += 16; // sixteen zeros
                }
                else
                {
                    var index = k + run;
                    if ((uint)index > 63)
                    {
                        throw Corrupt("a block has more than 64 coefficients");
                    }

                    int natural = ZigZag[index];
                    mask |= natural;
                    Unsafe.Add(ref block, natural) = Extend(bits, size);
                    bits <<= size;
                    count -= size;
                    k = index + 1;
                }

                if (k > 63)
                {
                    break;
                }
            }

            masks[b] = mask;
        }

        reader.Bits = bits;
        reader.Count = count;
        reader.Position = position;
    }

    /// <summary>
    /// One AC symbol from <see cref="JpegHuffmanTable.FastAc"/>, which needs at most
    /// <see cref="JpegHuffmanTable.LookupBits"/> valid bits; false (nothing consumed) when the
    /// entry is empty and the slower branch must decode it. The end of the block sets
    /// <paramref name="k"/> to 64.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool FastSymbol(ref int fastAc, ref int block, ref ulong bits, ref int count, ref int k, ref int mask)
    {
        var fast = Unsafe.Add(ref fastAc, (nint)(bits >> (64 - JpegHuffmanTable.LookupBits)));
        if (fast == 0)
        {
            return false;
        }

        // Code and value in one lookup; the length is below 64, so the shift needs no mask.
        var at = k + ((fast >> 8) & 0xFF);
        bits <<= fast;
        count -= fast & 0xFF;
        if ((uint)at > 63)
        {
            if (((fast >> 8) & 0xFF) != JpegHuffmanTable.EndOfBlockRun)
            {
                throw Corrupt("a block has more than 64 coefficients");
            }

            k = 64;
            return true;
        }

        // `(uint)at > 63` above lets the JIT drop the check of ZigZag[at]; every entry is below
        // 64, and the caller's block has 64.
        int natural = ZigZag[at];
        mask |= natural;
        Unsafe.Add(ref block, natural) = fast >> 16;
        k = at + 1;
        return true;
    }

    /// <summary>The top <paramref name="size"/> bits (1 to 16) as a signed value (JPEG's EXTEND).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Extend(ulong bits, int size)
    {
        var value = (int)(bits >> (64 - size));
        return value - ((((value >> (size - 1)) & 1) - 1) & ((1 << size) - 1));
    }

    /// <summary>Finds the next marker from <paramref name="position"/> (which must be at a 0xFF) and moves past it.</summary>
    private static bool TryNextMarker(ReadOnlySpan<byte> data, ref int position, out byte marker)
    {
        marker = 0;
        if (position >= data.Length || data[position] != 0xFF)
        {
            return false;
        }

        while (position < data.Length && data[position] == 0xFF)
        {
            position++;
        }

        if (position >= data.Length)
        {
            return false;
        }

        marker = data[position++];
        return true;
    }

    /// <summary>The content of the segment whose length field is at <paramref name="position"/>.</summary>
    private static bool TrySegment(ReadOnlySpan<byte> data, int position, out ReadOnlySpan<byte> segment)
    {
        segment = default;
        if (data.Length - position < 2)
        {
            return false;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(data[position..]);
        if (length < 2 || length > data.Length - position)
        {
            return false;
        }

        segment = data.Slice(position + 2, length - 2);
        return true;
    }

    /// <summary>The position of the marker that ends the entropy-coded data starting at <paramref name="position"/>.</summary>
    private static int SkipEntropyCodedData(ReadOnlySpan<byte> data, int position)
    {
        while (position < data.Length)
        {
            var next = data[position..].IndexOf((byte)0xFF);
            if (next < 0 || position + next + 1 >= data.Length)
            {
                return data.Length;
            }

            position += next;
            var following = data[position + 1];
            if (following == 0x00 || following is >= 0xD0 and <= 0xD7)
            {
                position += 2;
            }
            else if (following == 0xFF)
            {
                position++;
            }
            else
            {
                return position;
            }
        }

        return data.Length;
    }

    /// <summary>Tables and settings as the decode reaches each scan.</summary>
    internal sealed class DecodeState(JpegFrame frame)
    {
        public JpegFrame Frame { get; } = frame;

        public int[][] Quant { get; } = [new int[64], new int[64], new int[64], new int[64]];

        public bool[] QuantDefined { get; } = new bool[4];

        public JpegHuffmanTable?[] Dc { get; } = new JpegHuffmanTable?[4];

        public JpegHuffmanTable?[] Ac { get; } = new JpegHuffmanTable?[4];

        public int RestartInterval { get; set; }

        /// <summary>True once a chroma coefficient was nonzero: the picture is not neutral grey.</summary>
        public bool ChromaSeen { get; set; }

        /// <summary>
        /// The chroma samples (components 1 and 2) at their own resolution, whole MCUs; 16-bit, so
        /// that the upsampler works on sixteen lanes and a 4:4:4 decode needs 8 bytes a pixel, not 12.
        /// </summary>
        public IMemoryOwner<short>?[] Planes { get; } = new IMemoryOwner<short>?[3];

        public int[] PlaneStride { get; } = new int[3];

        /// <summary>Work rows of <see cref="JpegColour"/>.</summary>
        public IMemoryOwner<short>? ColourRows { get; set; }

        /// <summary>The work buffer of <see cref="JpegBitReader"/>: a scan's data without stuffing.</summary>
        public IMemoryOwner<byte>? Entropy { get; set; }

        /// <summary>Rows of the luminance buffer already weighed from R, G and B.</summary>
        public int ConvertedRows { get; set; }

        public int Height => Frame.Height;
    }

    /// <summary>
    /// Asks for the cache lines the MCU below the one just decoded will write: the start of each
    /// of its rows in the luminance buffer and, in an interleaved scan, in the chroma planes (once
    /// per 64 bytes of a plane's row).
    /// </summary>
    /// <remarks>
    /// The transform's stores into the 4 MB luminance buffer of a 1-megapixel picture, and into the
    /// chroma planes, miss the cache (each row of a block is on its own line), and the MCU's stores
    /// wait for those lines. A whole MCU row ahead, the lines have arrived when the row below is
    /// decoded; the MCUs' starts cover every line of a row. Measured on the photograph (Zen 1,
    /// in-process paired runs, both orders): the luminance rows 0.25-0.3 ms less a decode, the
    /// chroma rows about another 0.1 ms; prefetching into L2 instead of L1 did as well, 4 MCUs
    /// ahead in the same row was 0.16 ms slower than a row ahead, and the same prefetches with
    /// their bookkeeping written inline in the MCU loop cost more than they gained (the loop's
    /// variables no longer fit the registers). Each address is a bounds-checked element.
    /// </remarks>
    private readonly ref struct RowPrefetcher
    {
        private readonly Span<float> _luma;
        private readonly Span<short> _cb;
        private readonly Span<short> _cr;
        private readonly int _width;
        private readonly int _lumaAcross;
        private readonly int _lumaDown;
        private readonly int _lastLumaRow;
        private readonly int _chromaAcross;
        private readonly int _chromaDown;
        private readonly int _chromaStride;
        private readonly int _lastChromaRow;

        public RowPrefetcher(JpegFrame frame, ScanHeader scan, DecodeState state, Span<float> luma, Span<short> cb, Span<short> cr, int mcusDown)
        {
            _luma = luma;
            _cb = cb;
            _cr = cr;
            _width = frame.Width;
            if (!Sse.IsSupported)
            {
                return;
            }

            // Luma is the first component of a scan that has it (scans list components in frame
            // order); a scan of one component has one block an MCU.
            if (scan.Component(0) == 0)
            {
                (_lumaAcross, _lumaDown) = scan.Count == 1 ? (8, 8) : (8 * frame.Components[0].Horizontal, 8 * frame.Components[0].Vertical);

                // The luminance buffer holds the frame's rows only (a partial last MCU row is clipped),
                // so the last MCU row with a whole row below it is counted from the height; the chroma
                // planes below are padded to whole MCUs and count by MCUs.
                _lastLumaRow = (frame.Height / _lumaDown) - 2;
            }

            // Chroma of an interleaved scan of all three components sampled alike (the usual case).
            var components = frame.Components;
            if (scan.Count == 3 && components[1].Horizontal == components[2].Horizontal && components[1].Vertical == components[2].Vertical)
            {
                _chromaAcross = 8 * components[1].Horizontal;
                _chromaDown = 8 * components[1].Vertical;
                _chromaStride = state.PlaneStride[1];
                _lastChromaRow = mcusDown - 2;
            }
        }

        /// <summary>The MCU below (<paramref name="mcuX"/>, <paramref name="mcuY"/>), when there is one.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        public void Below(int mcuX, int mcuY)
        {
            if (_lumaDown != 0 && mcuY <= _lastLumaRow)
            {
                Rows(_luma, ((mcuY + 1) * _lumaDown * _width) + (mcuX * _lumaAcross), _width, _lumaDown);
            }

            var x = mcuX * _chromaAcross;
            if (_chromaDown != 0 && mcuY <= _lastChromaRow && (x & 31) == 0)
            {
                var start = ((mcuY + 1) * _chromaDown * _chromaStride) + x;
                Rows(_cb, start, _chromaStride, _chromaDown);
                Rows(_cr, start, _chromaStride, _chromaDown);
            }
        }

        private static unsafe void Rows<T>(Span<T> buffer, int start, int stride, int rows)
            where T : unmanaged
        {
            for (var row = 0; row < rows; row++)
            {
                fixed (T* at = &buffer[start + (row * stride)])
                {
                    Sse.Prefetch0(at);
                }
            }
        }
    }

    /// <summary>A scan header: up to three components (frame indices) and their table selectors.</summary>
    private readonly record struct ScanHeader(int Count, int Packed)
    {
        public int Component(int i) => (Packed >> (i * 8)) & 3;

        public int DcTable(int i) => (Packed >> ((i * 8) + 2)) & 3;

        public int AcTable(int i) => (Packed >> ((i * 8) + 4)) & 3;

        public ScanHeader With(int i, int component, int dcTable, int acTable) =>
            this with { Packed = Packed | ((component | (dcTable << 2) | (acTable << 4)) << (i * 8)) };
    }
}
