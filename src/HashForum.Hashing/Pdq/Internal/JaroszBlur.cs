using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace HashForum.Hashing.Pdq.Internal;

/// <summary>
/// The reference's Jarosz blur (two rounds of a horizontal then a vertical box pass) followed by the
/// 64x64 decimation, computed so that every kept value is the float the reference computes, only
/// faster. One instance keeps its buffers between images; not thread-safe.
/// </summary>
/// <remarks>
/// Bit-exactness rules out re-associating the sums: each output is a running float sum along a line,
/// samples added and removed in the reference's order (see <see cref="PlainPdq"/>), divided by the
/// count. What may change is how many lines run at once and what is kept:
/// <list type="bullet">
/// <item>A horizontal pass transposes a strip of eight rows into vectors of eight (one lane a row),
/// runs the eight lines at once, and transposes back (8x8 transposes built from in-lane 4x4 ones).</item>
/// <item>A vertical pass runs every column at once, eight a vector, along contiguous rows.</item>
/// <item>The passes are streamed: rows flow from the first horizontal pass through a ring of
/// <c>window + 8</c> rows into the first vertical pass, and its output rows, eight at a time, into the
/// second horizontal pass. The image is read once; nothing full-sized is written. On a 1-megapixel
/// image the unfused version spent most of its time moving 4 MB buffers through memory.</item>
/// <item>The second horizontal pass feeds only the 64 decimated columns: it keeps running sums and
/// divides at those 64 places alone. The second vertical pass runs on those 64 columns only.</item>
/// </list>
/// Per lane, the sequence of IEEE operations is the reference's, so the results agree to the bit
/// (checked against <see cref="PlainPdq"/> on random images of every shape in the tests).
/// </remarks>
internal sealed class JaroszBlur
{
    private const int Lanes = 8;
    private const int Side = PdqSteps.DecimatedSide;

    private readonly int[] _kept = new int[Side];
    private readonly int[] _offsets = new int[Lanes];
    private float[] _ring = [];
    private float[] _sums = [];
    private float[] _staging = [];
    private float[] _line = [];
    private float[] _narrow = [];
    private float[] _narrowOut = [];
    private Vector256<float>[] _stripIn = [];
    private Vector256<float>[] _stripOut = [];
    private Vector256<float>[] _stripIn2 = [];
    private Vector256<float>[] _stripOut2 = [];

    // Per-image state of the stream.
    private int _width;
    private int _height;
    private int _rowWindow;
    private int _colWindow;
    private int _ringRows;
    private int _count;
    private int _emitted;

    /// <summary>Blurs <paramref name="luma"/> and writes the 64x64 decimation to <paramref name="buffer64"/>.</summary>
    public void BlurAndDecimate(ReadOnlySpan<float> luma, int width, int height, Span<float> buffer64) =>
        BlurAndDecimate(new FloatRows(luma, width), width, height, buffer64);

    /// <summary>
    /// Blurs the luminance of packed R, G, B bytes and writes the 64x64 decimation to
    /// <paramref name="buffer64"/>. The luminance is computed as the first horizontal pass reads its
    /// strips, so no full-sized float image is ever written: the same floats as
    /// <see cref="Luminance.FromRgb24"/> followed by the float overload, without the 4 MB round trip.
    /// </summary>
    public void BlurAndDecimateRgb24(ReadOnlySpan<byte> rgb, int width, int height, Span<float> buffer64) =>
        BlurAndDecimate(new Rgb24Rows(rgb, width), width, height, buffer64);

    private void BlurAndDecimate<TRows>(TRows source, int width, int height, Span<float> buffer64)
        where TRows : ILumaRows, allows ref struct
    {
        Prepare(width, height);
        var row = 0;
        for (; row + (2 * Lanes) <= height; row += 2 * Lanes)
        {
            source.TransposeIn(row, _stripIn);
            source.TransposeIn(row + Lanes, _stripIn2);
            RunningBoxPair(_stripIn.AsSpan(0, width), _stripIn2.AsSpan(0, width), _stripOut, _stripOut2, _rowWindow);
            SetRingOffsets(row);
            TransposeOut(_stripOut, _ring, _offsets, width);
            SetRingOffsets(row + Lanes);
            TransposeOut(_stripOut2, _ring, _offsets, width);
            for (var k = 0; k < 2 * Lanes; k++)
            {
                PushFirstVertical(row + k);
            }
        }

        for (; row + Lanes <= height; row += Lanes)
        {
            source.TransposeIn(row, _stripIn);
            // A lone strip of eight rows runs as a pair with itself; the second copy is discarded.
            RunningBoxPair(_stripIn.AsSpan(0, width), _stripIn.AsSpan(0, width), _stripOut, _stripOut2, _rowWindow);
            SetRingOffsets(row);
            TransposeOut(_stripOut, _ring, _offsets, width);
            for (var k = 0; k < Lanes; k++)
            {
                PushFirstVertical(row + k);
            }
        }

        for (; row < height; row++)
        {
            var line = _line.AsSpan(0, width);
            source.CopyRow(row, line);
            BoxLine(line, _ring.AsSpan(RingOffset(row), width), _rowWindow);
            PushFirstVertical(row);
        }

        FinishFirstVertical();
        VerticalPass(_narrow.AsSpan(0, height * Side), _narrowOut, height, Side, _colWindow, _line);
        for (var i = 0; i < Side; i++)
        {
            _narrowOut.AsSpan(PdqSteps.DecimationIndex(i, height) * Side, Side).CopyTo(buffer64.Slice(i * Side, Side));
        }
    }

    /// <summary>Drops buffers grown past <paramref name="maxFloats"/>, so one huge image does not pin memory.</summary>
    public void Trim(int maxFloats)
    {
        if (_ring.Length > maxFloats || _narrow.Length > maxFloats)
        {
            _ring = [];
            _staging = [];
            _narrow = [];
            _narrowOut = [];
        }
    }

    private void Prepare(int width, int height)
    {
        _width = width;
        _height = height;
        _rowWindow = PdqSteps.WindowSize(width);
        _colWindow = PdqSteps.WindowSize(height);

        // The first vertical pass subtracts row r - window while row r is added, and the horizontal
        // pass writes sixteen rows ahead: window + 16 rows are live at most.
        _ringRows = _colWindow + (2 * Lanes) + 1;
        Ensure(ref _ring, _ringRows * width);
        Ensure(ref _staging, 2 * Lanes * width);
        Ensure(ref _sums, width);
        Ensure(ref _line, Math.Max(Side, Math.Max(width, height)));
        Ensure(ref _narrow, height * Side);
        Ensure(ref _narrowOut, height * Side);
        if (_stripIn.Length < width)
        {
            _stripIn = new Vector256<float>[width];
            _stripOut = new Vector256<float>[width];
            _stripIn2 = new Vector256<float>[width];
            _stripOut2 = new Vector256<float>[width];
        }

        for (var k = 0; k < Side; k++)
        {
            _kept[k] = PdqSteps.DecimationIndex(k, width);
        }

        _sums.AsSpan(0, width).Clear();
        _count = 0;
        _emitted = 0;
    }

    private int RingOffset(int row) => row % _ringRows * _width;

    private void SetRingOffsets(int firstRow)
    {
        for (var k = 0; k < Lanes; k++)
        {
            _offsets[k] = RingOffset(firstRow + k);
        }
    }

    /// <summary>
    /// Feeds row <paramref name="row"/> of the first horizontal pass (already in the ring) to the first
    /// vertical pass: the reference's phases one to three, one input row at a time.
    /// </summary>
    private void PushFirstVertical(int row)
    {
        var width = _width;
        var input = _ring.AsSpan(RingOffset(row), width);
        var half = (_colWindow + 2) / 2;
        if (row < half - 1)
        {
            AddRow(_sums.AsSpan(0, width), input);
            _count++;
            return;
        }

        var output = _staging.AsSpan(_emitted % (2 * Lanes) * width, width);
        if (row < _colWindow)
        {
            _count++;
            AddRowAndDivide(_sums.AsSpan(0, width), input, output, _count);
        }
        else
        {
            SlideRowAndDivide(_sums.AsSpan(0, width), input, _ring.AsSpan(RingOffset(row - _colWindow), width), output, _count);
        }

        Emitted();
    }

    /// <summary>The reference's phase four of the first vertical pass, then what is left for the second horizontal one.</summary>
    private void FinishFirstVertical()
    {
        var width = _width;
        var half = (_colWindow + 2) / 2;
        for (var t = 0; t < half - 1; t++)
        {
            _count--;
            var removed = _ring.AsSpan(RingOffset(_height - _colWindow + t), width);
            SubtractRowAndDivide(_sums.AsSpan(0, width), removed, _staging.AsSpan(_emitted % (2 * Lanes) * width, width), _count);
            Emitted();
        }

        // Rows left over when the height is not a multiple of sixteen: a strip of eight if there is
        // one, then one row at a time.
        var first = _emitted - (_emitted % (2 * Lanes));
        if (_emitted - first >= Lanes)
        {
            SecondHorizontalStrip(first);
            first += Lanes;
        }

        for (var row = first; row < _emitted; row++)
        {
            var line = _line.AsSpan(0, width);
            BoxLine(_staging.AsSpan(row % (2 * Lanes) * width, width), line, _rowWindow);
            for (var k = 0; k < Side; k++)
            {
                _narrow[(row * Side) + k] = line[_kept[k]];
            }
        }
    }

    /// <summary>One more output row of the first vertical pass is staged; every sixteenth runs the second horizontal pass.</summary>
    private void Emitted()
    {
        _emitted++;
        if (_emitted % (2 * Lanes) != 0)
        {
            return;
        }

        var width = _width;
        var first = _emitted - (2 * Lanes);
        SetStagingOffsets(first, width);
        TransposeIn(_staging, _offsets, width, _stripIn);
        SetStagingOffsets(first + Lanes, width);
        TransposeIn(_staging, _offsets, width, _stripIn2);
        RunningSumsPair(_stripIn.AsSpan(0, width), _stripIn2.AsSpan(0, width), _stripOut, _stripOut2, _rowWindow);
        KeepDecimatedColumns(_stripOut, first);
        KeepDecimatedColumns(_stripOut2, first + Lanes);
    }

    /// <summary>The second horizontal pass on the eight staged rows from <paramref name="first"/>.</summary>
    private void SecondHorizontalStrip(int first)
    {
        SetStagingOffsets(first, _width);
        TransposeIn(_staging, _offsets, _width, _stripIn);
        RunningSumsPair(_stripIn.AsSpan(0, _width), _stripIn.AsSpan(0, _width), _stripOut, _stripOut2, _rowWindow);
        KeepDecimatedColumns(_stripOut, first);
    }

    private void SetStagingOffsets(int firstRow, int width)
    {
        for (var k = 0; k < Lanes; k++)
        {
            _offsets[k] = (firstRow + k) % (2 * Lanes) * width;
        }
    }

    /// <summary>Divides the running sums at the 64 decimated columns and stores them for rows <paramref name="first"/> on.</summary>
    private void KeepDecimatedColumns(ReadOnlySpan<Vector256<float>> sums, int first)
    {
        Span<float> lanes = stackalloc float[Lanes];
        var narrow = _narrow.AsSpan(first * Side, Lanes * Side);
        for (var k = 0; k < Side; k++)
        {
            var column = _kept[k];
            (sums[column] / Vector256.Create((float)WindowCount(column, _width, _rowWindow))).CopyTo(lanes);
            for (var lane = 0; lane < Lanes; lane++)
            {
                narrow[(lane * Side) + k] = lanes[lane];
            }
        }
    }

    /// <summary>
    /// Box pass down every column of a row-major buffer of <paramref name="cols"/> columns, all columns
    /// at once. <paramref name="sums"/> holds one running sum a column.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void VerticalPass(ReadOnlySpan<float> source, Span<float> destination, int rows, int cols, int window, Span<float> sums)
    {
        sums = sums[..cols];
        sums.Clear();
        var half = (window + 2) / 2;
        int li = 0, ri = 0, oi = 0, count = 0;
        for (var i = 0; i < half - 1; i++, ri++)
        {
            AddRow(sums, source.Slice(ri * cols, cols));
            count++;
        }

        for (var i = 0; i < window - half + 1; i++, ri++, oi++)
        {
            count++;
            AddRowAndDivide(sums, source.Slice(ri * cols, cols), destination.Slice(oi * cols, cols), count);
        }

        for (var i = 0; i < rows - window; i++, li++, ri++, oi++)
        {
            SlideRowAndDivide(sums, source.Slice(ri * cols, cols), source.Slice(li * cols, cols), destination.Slice(oi * cols, cols), count);
        }

        for (var i = 0; i < half - 1; i++, li++, oi++)
        {
            count--;
            SubtractRowAndDivide(sums, source.Slice(li * cols, cols), destination.Slice(oi * cols, cols), count);
        }
    }

    /// <summary>The reference's <c>box1DFloat</c> on one contiguous line.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BoxLine(ReadOnlySpan<float> input, Span<float> output, int window)
    {
        var half = (window + 2) / 2;
        int li = 0, ri = 0, oi = 0, count = 0;
        var sum = 0f;
        for (var i = 0; i < half - 1; i++)
        {
            sum += input[ri++];
            count++;
        }

        for (var i = 0; i < window - half + 1; i++)
        {
            sum += input[ri++];
            count++;
            output[oi++] = sum / count;
        }

        for (var i = input.Length - window; i > 0; i--)
        {
            sum += input[ri++];
            sum -= input[li++];
            output[oi++] = sum / count;
        }

        for (var i = 0; i < half - 1; i++)
        {
            sum -= input[li++];
            count--;
            output[oi++] = sum / count;
        }
    }

    private static void Ensure(ref float[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            buffer = new float[length];
        }
    }

    /// <summary>
    /// <see cref="BoxLine"/> on two strips of eight lines at once, one line a lane. Each step of a running sum waits for the one
    /// before (an add and a subtract); two independent sums per loop keep the vector units busy while
    /// each waits. The operations on each sum are unchanged.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunningBoxPair(
        ReadOnlySpan<Vector256<float>> inputA, ReadOnlySpan<Vector256<float>> inputB,
        Span<Vector256<float>> outputA, Span<Vector256<float>> outputB, int window)
    {
        var n = inputA.Length;
        ref var ia = ref MemoryMarshal.GetReference(inputA);
        ref var ib = ref MemoryMarshal.GetReference(inputB[..n]);
        ref var oa = ref MemoryMarshal.GetReference(outputA[..n]);
        ref var ob = ref MemoryMarshal.GetReference(outputB[..n]);
        var half = (window + 2) / 2;
        nint li = 0, ri = 0, oi = 0;
        var count = 0;
        var sumA = Vector256<float>.Zero;
        var sumB = Vector256<float>.Zero;
        for (var i = 0; i < half - 1; i++, ri++)
        {
            sumA += Unsafe.Add(ref ia, ri);
            sumB += Unsafe.Add(ref ib, ri);
            count++;
        }

        for (var i = 0; i < window - half + 1; i++, ri++, oi++)
        {
            sumA += Unsafe.Add(ref ia, ri);
            sumB += Unsafe.Add(ref ib, ri);
            count++;
            var d = Vector256.Create((float)count);
            Unsafe.Add(ref oa, oi) = sumA / d;
            Unsafe.Add(ref ob, oi) = sumB / d;
        }

        var divisor = Vector256.Create((float)count);
        var reciprocal = Vector256.Create(1f / count);
        for (var i = n - window; i > 0; i--, li++, ri++, oi++)
        {
            sumA += Unsafe.Add(ref ia, ri);
            sumB += Unsafe.Add(ref ib, ri);
            sumA -= Unsafe.Add(ref ia, li);
            sumB -= Unsafe.Add(ref ib, li);
            Unsafe.Add(ref oa, oi) = ExactDivision.Divide(sumA, divisor, reciprocal);
            Unsafe.Add(ref ob, oi) = ExactDivision.Divide(sumB, divisor, reciprocal);
        }

        for (var i = 0; i < half - 1; i++, li++, oi++)
        {
            sumA -= Unsafe.Add(ref ia, li);
            sumB -= Unsafe.Add(ref ib, li);
            count--;
            var d = Vector256.Create((float)count);
            Unsafe.Add(ref oa, oi) = sumA / d;
            Unsafe.Add(ref ob, oi) = sumB / d;
        }
    }

    /// <summary>
    /// <see cref="RunningBoxPair"/> without the divisions: output <c>i</c> is the running sum; divide it by
    /// <see cref="WindowCount"/> of <c>i</c> to get the box value. Used where only a few outputs are kept.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunningSumsPair(
        ReadOnlySpan<Vector256<float>> inputA, ReadOnlySpan<Vector256<float>> inputB,
        Span<Vector256<float>> outputA, Span<Vector256<float>> outputB, int window)
    {
        var n = inputA.Length;
        ref var ia = ref MemoryMarshal.GetReference(inputA);
        ref var ib = ref MemoryMarshal.GetReference(inputB[..n]);
        ref var oa = ref MemoryMarshal.GetReference(outputA[..n]);
        ref var ob = ref MemoryMarshal.GetReference(outputB[..n]);
        var half = (window + 2) / 2;
        nint li = 0, ri = 0, oi = 0;
        var sumA = Vector256<float>.Zero;
        var sumB = Vector256<float>.Zero;
        for (var i = 0; i < half - 1; i++, ri++)
        {
            sumA += Unsafe.Add(ref ia, ri);
            sumB += Unsafe.Add(ref ib, ri);
        }

        for (var i = 0; i < window - half + 1; i++, ri++, oi++)
        {
            sumA += Unsafe.Add(ref ia, ri);
            sumB += Unsafe.Add(ref ib, ri);
            Unsafe.Add(ref oa, oi) = sumA;
            Unsafe.Add(ref ob, oi) = sumB;
        }

        for (var i = n - window; i > 0; i--, li++, ri++, oi++)
        {
            sumA += Unsafe.Add(ref ia, ri);
            sumB += Unsafe.Add(ref ib, ri);
            sumA -= Unsafe.Add(ref ia, li);
            sumB -= Unsafe.Add(ref ib, li);
            Unsafe.Add(ref oa, oi) = sumA;
            Unsafe.Add(ref ob, oi) = sumB;
        }

        for (var i = 0; i < half - 1; i++, li++, oi++)
        {
            sumA -= Unsafe.Add(ref ia, li);
            sumB -= Unsafe.Add(ref ib, li);
            Unsafe.Add(ref oa, oi) = sumA;
            Unsafe.Add(ref ob, oi) = sumB;
        }
    }

    /// <summary>How many samples the box of output <paramref name="index"/> holds, on a line of <paramref name="length"/>.</summary>
    private static int WindowCount(int index, int length, int window)
    {
        var half = (window + 2) / 2;
        if (index < window - half + 1)
        {
            return half + index;
        }

        return index < length - half + 1 ? window : window - (index - (length - half + 1)) - 1;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddRow(Span<float> sums, ReadOnlySpan<float> row)
    {
        ref var s = ref MemoryMarshal.GetReference(sums);
        ref var a = ref MemoryMarshal.GetReference(row);
        nuint j = 0;
        var n = (nuint)sums.Length;
        for (; j + Lanes <= n; j += Lanes)
        {
            (Vector256.LoadUnsafe(ref s, j) + Vector256.LoadUnsafe(ref a, j)).StoreUnsafe(ref s, j);
        }

        for (; j < n; j++)
        {
            Unsafe.Add(ref s, j) += Unsafe.Add(ref a, j);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddRowAndDivide(Span<float> sums, ReadOnlySpan<float> row, Span<float> output, int count)
    {
        ref var s = ref MemoryMarshal.GetReference(sums);
        ref var a = ref MemoryMarshal.GetReference(row);
        ref var o = ref MemoryMarshal.GetReference(output);
        var divisor = Vector256.Create((float)count);
        nuint j = 0;
        var n = (nuint)sums.Length;
        for (; j + Lanes <= n; j += Lanes)
        {
            var v = Vector256.LoadUnsafe(ref s, j) + Vector256.LoadUnsafe(ref a, j);
            v.StoreUnsafe(ref s, j);
            (v / divisor).StoreUnsafe(ref o, j);
        }

        for (; j < n; j++)
        {
            var v = Unsafe.Add(ref s, j) + Unsafe.Add(ref a, j);
            Unsafe.Add(ref s, j) = v;
            Unsafe.Add(ref o, j) = v / count;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SlideRowAndDivide(Span<float> sums, ReadOnlySpan<float> added, ReadOnlySpan<float> removed, Span<float> output, int count)
    {
        ref var s = ref MemoryMarshal.GetReference(sums);
        ref var a = ref MemoryMarshal.GetReference(added);
        ref var r = ref MemoryMarshal.GetReference(removed);
        ref var o = ref MemoryMarshal.GetReference(output);
        var divisor = Vector256.Create((float)count);
        var reciprocal = Vector256.Create(1f / count);
        nuint j = 0;
        var n = (nuint)sums.Length;
        for (; j + Lanes <= n; j += Lanes)
        {
            // (sum + added) - removed, in that order, as the reference does.
            var v = Vector256.LoadUnsafe(ref s, j) + Vector256.LoadUnsafe(ref a, j) - Vector256.LoadUnsafe(ref r, j);
            v.StoreUnsafe(ref s, j);
            ExactDivision.Divide(v, divisor, reciprocal).StoreUnsafe(ref o, j);
        }

        for (; j < n; j++)
        {
            var v = Unsafe.Add(ref s, j) + Unsafe.Add(ref a, j);
            v -= Unsafe.Add(ref r, j);
            Unsafe.Add(ref s, j) = v;
            Unsafe.Add(ref o, j) = v / count;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SubtractRowAndDivide(Span<float> sums, ReadOnlySpan<float> removed, Span<float> output, int count)
    {
        ref var s = ref MemoryMarshal.GetReference(sums);
        ref var r = ref MemoryMarshal.GetReference(removed);
        ref var o = ref MemoryMarshal.GetReference(output);
        var divisor = Vector256.Create((float)count);
        nuint j = 0;
        var n = (nuint)sums.Length;
        for (; j + Lanes <= n; j += Lanes)
        {
            var v = Vector256.LoadUnsafe(ref s, j) - Vector256.LoadUnsafe(ref r, j);
            v.StoreUnsafe(ref s, j);
            (v / divisor).StoreUnsafe(ref o, j);
        }

        for (; j < n; j++)
        {
            var v = Unsafe.Add(ref s, j) - Unsafe.Add(ref r, j);
            Unsafe.Add(ref s, j) = v;
            Unsafe.Add(ref o, j) = v / count;
        }
    }

    /// <summary>
    /// Eight rows of <paramref name="source"/>, starting at <paramref name="rowOffsets"/>, into vectors
    /// one a column (lane <c>k</c> from row <c>k</c>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransposeIn(ReadOnlySpan<float> source, ReadOnlySpan<int> rowOffsets, int cols, Span<Vector256<float>> strip)
    {
        for (var k = 0; k < Lanes; k++)
        {
            // Bounds of every row checked once here; the loops below stay inside them.
            _ = source.Slice(rowOffsets[k], cols);
        }

        ref var src = ref MemoryMarshal.GetReference(source);
        ref var dst = ref MemoryMarshal.GetReference(strip[..cols]);
        nuint o0 = (nuint)rowOffsets[0], o1 = (nuint)rowOffsets[1], o2 = (nuint)rowOffsets[2], o3 = (nuint)rowOffsets[3];
        nuint o4 = (nuint)rowOffsets[4], o5 = (nuint)rowOffsets[5], o6 = (nuint)rowOffsets[6], o7 = (nuint)rowOffsets[7];
        var j = 0;
        if (Avx.IsSupported)
        {
            for (; j + Lanes <= cols; j += Lanes)
            {
                for (var h = 0; h < Lanes; h += 4)
                {
                    var at = (nuint)(j + h);
                    Transpose4x4InLanes(
                        Vector256.Create(Vector128.LoadUnsafe(ref src, o0 + at), Vector128.LoadUnsafe(ref src, o4 + at)),
                        Vector256.Create(Vector128.LoadUnsafe(ref src, o1 + at), Vector128.LoadUnsafe(ref src, o5 + at)),
                        Vector256.Create(Vector128.LoadUnsafe(ref src, o2 + at), Vector128.LoadUnsafe(ref src, o6 + at)),
                        Vector256.Create(Vector128.LoadUnsafe(ref src, o3 + at), Vector128.LoadUnsafe(ref src, o7 + at)),
                        ref Unsafe.Add(ref dst, j + h));
                }
            }
        }

        for (; j < cols; j++)
        {
            var at = (nuint)j;
            Unsafe.Add(ref dst, j) = Vector256.Create(
                Unsafe.Add(ref src, o0 + at), Unsafe.Add(ref src, o1 + at), Unsafe.Add(ref src, o2 + at), Unsafe.Add(ref src, o3 + at),
                Unsafe.Add(ref src, o4 + at), Unsafe.Add(ref src, o5 + at), Unsafe.Add(ref src, o6 + at), Unsafe.Add(ref src, o7 + at));
        }
    }

    /// <summary>The inverse of <see cref="TransposeIn"/>: lane <c>k</c> goes to the row at <c>rowOffsets[k]</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransposeOut(ReadOnlySpan<Vector256<float>> strip, Span<float> destination, ReadOnlySpan<int> rowOffsets, int cols)
    {
        for (var k = 0; k < Lanes; k++)
        {
            _ = destination.Slice(rowOffsets[k], cols);
        }

        ref var src = ref MemoryMarshal.GetReference(strip[..cols]);
        ref var dst = ref MemoryMarshal.GetReference(destination);
        nuint o0 = (nuint)rowOffsets[0], o1 = (nuint)rowOffsets[1], o2 = (nuint)rowOffsets[2], o3 = (nuint)rowOffsets[3];
        nuint o4 = (nuint)rowOffsets[4], o5 = (nuint)rowOffsets[5], o6 = (nuint)rowOffsets[6], o7 = (nuint)rowOffsets[7];
        var j = 0;
        if (Avx.IsSupported)
        {
            var block = default(Block8);
            for (; j + 4 <= cols; j += 4)
            {
                Transpose4x4InLanes(
                    Unsafe.Add(ref src, j), Unsafe.Add(ref src, j + 1), Unsafe.Add(ref src, j + 2), Unsafe.Add(ref src, j + 3),
                    ref block[0]);
                var at = (nuint)j;
                block[0].GetLower().StoreUnsafe(ref dst, o0 + at);
                block[1].GetLower().StoreUnsafe(ref dst, o1 + at);
                block[2].GetLower().StoreUnsafe(ref dst, o2 + at);
                block[3].GetLower().StoreUnsafe(ref dst, o3 + at);
                block[0].GetUpper().StoreUnsafe(ref dst, o4 + at);
                block[1].GetUpper().StoreUnsafe(ref dst, o5 + at);
                block[2].GetUpper().StoreUnsafe(ref dst, o6 + at);
                block[3].GetUpper().StoreUnsafe(ref dst, o7 + at);
            }
        }

        for (; j < cols; j++)
        {
            var v = Unsafe.Add(ref src, j);
            var at = (nuint)j;
            Unsafe.Add(ref dst, o0 + at) = v.GetElement(0);
            Unsafe.Add(ref dst, o1 + at) = v.GetElement(1);
            Unsafe.Add(ref dst, o2 + at) = v.GetElement(2);
            Unsafe.Add(ref dst, o3 + at) = v.GetElement(3);
            Unsafe.Add(ref dst, o4 + at) = v.GetElement(4);
            Unsafe.Add(ref dst, o5 + at) = v.GetElement(5);
            Unsafe.Add(ref dst, o6 + at) = v.GetElement(6);
            Unsafe.Add(ref dst, o7 + at) = v.GetElement(7);
        }
    }

    /// <summary>
    /// Transposes the 4x4 block in each 128-bit half of four vectors, writing the four results to
    /// <paramref name="columns"/> and the three vectors after it. With rows k and k + 4 loaded into
    /// the two halves of input k, the outputs are the columns of an 8x8 block (and the same call turns
    /// columns back into such row pairs). No lane-crossing permute: on the Zen 1 cores we run on,
    /// <c>vperm2f128</c> costs 8 micro-ops, and an 8x8 transpose needs eight of them, while a
    /// half-vector load into the upper lane or a store of the upper lane is nearly free.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4x4InLanes(
        Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, Vector256<float> a3, ref Vector256<float> columns)
    {
        var t0 = Avx.UnpackLow(a0, a1);
        var t1 = Avx.UnpackHigh(a0, a1);
        var t2 = Avx.UnpackLow(a2, a3);
        var t3 = Avx.UnpackHigh(a2, a3);
        columns = Avx.Shuffle(t0, t2, 0x44);
        Unsafe.Add(ref columns, 1) = Avx.Shuffle(t0, t2, 0xEE);
        Unsafe.Add(ref columns, 2) = Avx.Shuffle(t1, t3, 0x44);
        Unsafe.Add(ref columns, 3) = Avx.Shuffle(t1, t3, 0xEE);
    }

    /// <summary>Where the first horizontal pass reads its luminance from.</summary>
    private interface ILumaRows
    {
        /// <summary>Rows <paramref name="firstRow"/> to <c>firstRow + 7</c> as one vector a column (lane k from row firstRow + k).</summary>
        void TransposeIn(int firstRow, Span<Vector256<float>> strip);

        /// <summary>The luminance of one row.</summary>
        void CopyRow(int row, Span<float> destination);
    }

    /// <summary>Row-major float luminance.</summary>
    private readonly ref struct FloatRows(ReadOnlySpan<float> luma, int width) : ILumaRows
    {
        private readonly ReadOnlySpan<float> _luma = luma;
        private readonly int _width = width;

        public void TransposeIn(int firstRow, Span<Vector256<float>> strip)
        {
            Span<int> offsets = stackalloc int[Lanes];
            for (var k = 0; k < Lanes; k++)
            {
                offsets[k] = (firstRow + k) * _width;
            }

            JaroszBlur.TransposeIn(_luma, offsets, _width, strip);
        }

        public void CopyRow(int row, Span<float> destination) => _luma.Slice(row * _width, _width).CopyTo(destination);
    }

    /// <summary>
    /// Packed R, G, B bytes, weighted into luminance on the way in, eight pixels of a row a vector
    /// (<see cref="Luminance.WeighFourAndFour"/>: rows k and k + 4 in the two halves), then
    /// transposed like <see cref="FloatRows"/>.
    /// </summary>
    private readonly ref struct Rgb24Rows(ReadOnlySpan<byte> rgb, int width) : ILumaRows
    {
        private readonly ReadOnlySpan<byte> _rgb = rgb;
        private readonly int _width = width;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void TransposeIn(int firstRow, Span<Vector256<float>> strip)
        {
            var cols = _width;
            var rowBytes = cols * 3;

            // Bounds of all eight rows checked once here; the loops below stay inside them.
            var rows = _rgb.Slice(firstRow * rowBytes, Lanes * rowBytes);
            ref var src = ref MemoryMarshal.GetReference(rows);
            ref var dst = ref MemoryMarshal.GetReference(strip[..cols]);
            var j = 0;
            if (Avx2.IsSupported)
            {
                // Each half-vector load reads 16 bytes for 4 pixels' 12, so the last few pixels of a
                // strip go through the scalar loop rather than read past the buffer.
                var stride = (nuint)rowBytes;
                for (; (j * 3) + 28 <= rowBytes; j += Lanes)
                {
                    for (var h = 0; h < Lanes; h += 4)
                    {
                        var at = (nuint)((j + h) * 3);
                        Transpose4x4InLanes(
                            Luminance.WeighFourAndFour(ref src, at, at + (4 * stride)),
                            Luminance.WeighFourAndFour(ref src, at + stride, at + (5 * stride)),
                            Luminance.WeighFourAndFour(ref src, at + (2 * stride), at + (6 * stride)),
                            Luminance.WeighFourAndFour(ref src, at + (3 * stride), at + (7 * stride)),
                            ref Unsafe.Add(ref dst, j + h));
                    }
                }
            }

            Span<float> lanes = stackalloc float[Lanes];
            for (; j < cols; j++)
            {
                for (var k = 0; k < Lanes; k++)
                {
                    var at = (k * rowBytes) + (j * 3);
                    lanes[k] = Luminance.Weigh(rows[at], rows[at + 1], rows[at + 2]);
                }

                Unsafe.Add(ref dst, j) = Vector256.Create<float>(lanes);
            }
        }

        public void CopyRow(int row, Span<float> destination) =>
            Luminance.FromRgb24(_rgb.Slice(row * _width * 3, _width * 3), destination[.._width]);
    }

    /// <summary>Eight vectors on the stack, for a transposed block on its way out.</summary>
    [InlineArray(Lanes)]
    private struct Block8
    {
        private Vector256<float> _first;
    }
}
