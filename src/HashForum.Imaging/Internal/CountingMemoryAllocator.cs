using System.Buffers;
using System.Runtime.CompilerServices;
using SixLabors.ImageSharp.Memory;

namespace HashForum.Imaging.Internal;

/// <summary>
/// ImageSharp's pooling allocator, wrapped so that every buffer is counted and each decode is held
/// to a memory budget.
/// </summary>
/// <remarks>
/// ImageSharp 2.1's own cap (<c>AllocationLimitMegabytes</c>) limits one allocation, not a decode,
/// and is not visible through a wrapper. The budget here (<see cref="DecodeArena"/>) is the second
/// fence behind the dimension checks: the sum of everything one decode holds at once. It is found
/// through an <see cref="AsyncLocal{T}"/>, which flows into the worker threads ImageSharp may use.
/// The counters let tests prove that every buffer goes back, on success and on failure.
/// </remarks>
internal sealed class CountingMemoryAllocator : MemoryAllocator
{
    /// <summary>
    /// ImageSharp splits large images into blocks of this size. It equals ImageSharp's pool block
    /// size, so blocks are served from the pool (the inner allocator's own value is not reachable).
    /// </summary>
    internal const int BlockSizeInBytes = 4 * 1024 * 1024;

    private readonly MemoryAllocator _inner;
    private readonly AsyncLocal<DecodeArena?> _currentArena = new();
    private long _outstandingBuffers;
    private long _outstandingBytes;
    private long _reclaimedBuffers;
    private long _peakBytes;

    public CountingMemoryAllocator(int poolMegabytes, long maxDecodeMemoryBytes)
    {
        _inner = Create(new MemoryAllocatorOptions
        {
            MaximumPoolSizeMegabytes = poolMegabytes,

            // One allocation can never exceed the whole budget.
            AllocationLimitMegabytes = (int)Math.Min(int.MaxValue, (maxDecodeMemoryBytes + (1024 * 1024) - 1) / (1024 * 1024)),
        });
    }

    /// <summary>Buffers handed out and not yet returned.</summary>
    public long OutstandingBuffers => Interlocked.Read(ref _outstandingBuffers);

    /// <summary>Bytes handed out and not yet returned.</summary>
    public long OutstandingBytes => Interlocked.Read(ref _outstandingBytes);

    /// <summary>
    /// Buffers that a decoder dropped on an error path without returning them, and that the end of
    /// the decode returned on its behalf.
    /// </summary>
    public long ReclaimedBuffers => Interlocked.Read(ref _reclaimedBuffers);

    /// <summary>Most bytes outstanding at once since the last <see cref="ResetPeak"/>.</summary>
    public long PeakBytes => Interlocked.Read(ref _peakBytes);

    public void ResetPeak() => Interlocked.Exchange(ref _peakBytes, OutstandingBytes);

    /// <summary>Starts a decode with a memory budget; disposing it returns whatever the decode left behind.</summary>
    public DecodeArena BeginArena(long budgetBytes)
    {
        var arena = new DecodeArena(this, budgetBytes, _currentArena.Value);
        _currentArena.Value = arena;
        return arena;
    }

    public override IMemoryOwner<T> Allocate<T>(int length, AllocationOptions options = AllocationOptions.None) =>
        Allocate<T>(length, options, tracked: true);

    /// <summary>
    /// Allocates a buffer that outlives the decode (the luminance handed to the caller): charged to
    /// the current budget, but not returned when the decode ends.
    /// </summary>
    public IMemoryOwner<T> AllocateForCaller<T>(int length)
        where T : struct => Allocate<T>(length, AllocationOptions.None, tracked: false);

    public override void ReleaseRetainedResources() => _inner.ReleaseRetainedResources();

    protected override int GetBufferCapacityInBytes() => BlockSizeInBytes;

    internal void EndArena(DecodeArena arena, DecodeArena? previous, int reclaimed)
    {
        if (ReferenceEquals(_currentArena.Value, arena))
        {
            _currentArena.Value = previous;
        }

        Interlocked.Add(ref _reclaimedBuffers, reclaimed);
    }

    private CountedBuffer<T> Allocate<T>(int length, AllocationOptions options, bool tracked)
        where T : struct
    {
        if (length < 0)
        {
            throw new InvalidMemoryOperationException($"Attempted to allocate a buffer of negative length={length}.");
        }

        var bytes = (long)length * Unsafe.SizeOf<T>();
        var arena = _currentArena.Value;
        arena?.Charge(bytes);
        IMemoryOwner<T> inner;
        try
        {
            inner = _inner.Allocate<T>(length, options);
        }
        catch
        {
            arena?.Refund(bytes);
            throw;
        }

        Interlocked.Increment(ref _outstandingBuffers);
        var outstanding = Interlocked.Add(ref _outstandingBytes, bytes);
        RaisePeak(outstanding);
        var buffer = new CountedBuffer<T>(this, inner, bytes, arena, tracked);
        if (tracked)
        {
            arena?.Track(buffer);
        }

        return buffer;
    }

    private void RaisePeak(long outstanding)
    {
        var peak = Interlocked.Read(ref _peakBytes);
        while (outstanding > peak)
        {
            var seen = Interlocked.CompareExchange(ref _peakBytes, outstanding, peak);
            if (seen == peak)
            {
                return;
            }

            peak = seen;
        }
    }

    private void Returned(long bytes)
    {
        Interlocked.Decrement(ref _outstandingBuffers);
        Interlocked.Add(ref _outstandingBytes, -bytes);
    }

    /// <summary>A buffer from the inner allocator that reports its return.</summary>
    private sealed class CountedBuffer<T> : MemoryManager<T>, IArenaBuffer
        where T : struct
    {
        private readonly CountingMemoryAllocator _owner;
        private readonly long _bytes;
        private readonly DecodeArena? _arena;
        private readonly bool _tracked;
        private IMemoryOwner<T>? _inner;

        public CountedBuffer(CountingMemoryAllocator owner, IMemoryOwner<T> inner, long bytes, DecodeArena? arena, bool tracked)
        {
            _owner = owner;
            _inner = inner;
            _bytes = bytes;
            _arena = arena;
            _tracked = tracked;
        }

        public override Span<T> GetSpan() =>
            (_inner ?? throw new ObjectDisposedException(nameof(CountedBuffer<T>))).Memory.Span;

        public override MemoryHandle Pin(int elementIndex = 0) =>
            (_inner ?? throw new ObjectDisposedException(nameof(CountedBuffer<T>))).Memory[elementIndex..].Pin();

        public override void Unpin()
        {
            // The handle returned by Pin belongs to the inner buffer and unpins it.
        }

        public void Release(bool reclaimedByArena)
        {
            var inner = Interlocked.Exchange(ref _inner, null);
            if (inner is null)
            {
                return;
            }

            inner.Dispose();
            _owner.Returned(_bytes);
            _arena?.Refund(_bytes);
            if (_tracked && !reclaimedByArena)
            {
                _arena?.Untrack(this);
            }
        }

        protected override void Dispose(bool disposing) => Release(reclaimedByArena: false);
    }
}

/// <summary>A buffer a <see cref="DecodeArena"/> can return on a decoder's behalf.</summary>
internal interface IArenaBuffer
{
    void Release(bool reclaimedByArena);
}

/// <summary>
/// The memory budget and the live buffers of one decode.
/// </summary>
/// <remarks>
/// Some ImageSharp 2.1 error paths drop buffers without disposing them (the GIF decoder does not
/// dispose a half-built image; a group allocation that fails part-way keeps the blocks it already
/// had). When the decode ends, nothing can still use a buffer it allocated, except the luminance
/// handed to the caller, which is allocated untracked; so the arena returns the rest.
/// </remarks>
internal sealed class DecodeArena : IDisposable
{
    private readonly CountingMemoryAllocator _allocator;
    private readonly long _budgetBytes;
    private readonly DecodeArena? _previous;
    private readonly HashSet<IArenaBuffer> _live = new(ReferenceEqualityComparer.Instance);
    private readonly Lock _gate = new();
    private long _chargedBytes;
    private bool _budgetExceeded;
    private bool _ended;

    public DecodeArena(CountingMemoryAllocator allocator, long budgetBytes, DecodeArena? previous)
    {
        _allocator = allocator;
        _budgetBytes = budgetBytes;
        _previous = previous;
    }

    /// <summary>Bytes held right now by this decode.</summary>
    public long ChargedBytes => Interlocked.Read(ref _chargedBytes);

    /// <summary>
    /// True once an allocation was refused. Decoders do not always let the refusal through as
    /// such (ImageSharp 2.1's WebP Identify turns it into a NullReferenceException), so the
    /// caller asks the arena rather than reading the exception.
    /// </summary>
    public bool BudgetExceeded => Volatile.Read(ref _budgetExceeded);

    public void Charge(long bytes)
    {
        if (Interlocked.Add(ref _chargedBytes, bytes) > _budgetBytes)
        {
            Interlocked.Add(ref _chargedBytes, -bytes);
            Volatile.Write(ref _budgetExceeded, true);
            throw new InvalidMemoryOperationException($"The decode would hold more than its budget of {_budgetBytes} bytes.");
        }
    }

    public void Refund(long bytes) => Interlocked.Add(ref _chargedBytes, -bytes);

    public void Track(IArenaBuffer buffer)
    {
        bool ended;
        lock (_gate)
        {
            ended = _ended;
            if (!ended)
            {
                _live.Add(buffer);
            }
        }

        // Allocated by a straggler after the decode ended: nobody will return it later.
        if (ended)
        {
            buffer.Release(reclaimedByArena: true);
        }
    }

    public void Untrack(IArenaBuffer buffer)
    {
        lock (_gate)
        {
            _live.Remove(buffer);
        }
    }

    public void Dispose()
    {
        IArenaBuffer[] leftovers;
        lock (_gate)
        {
            if (_ended)
            {
                return;
            }

            _ended = true;
            leftovers = [.. _live];
            _live.Clear();
        }

        foreach (var buffer in leftovers)
        {
            buffer.Release(reclaimedByArena: true);
        }

        _allocator.EndArena(this, _previous, leftovers.Length);
    }
}
