using HashForum.Imaging.Internal;
using SixLabors.ImageSharp.Memory;

namespace HashForum.Imaging.Tests.Internal;

public sealed class CountingMemoryAllocatorTests
{
    private const long MiB = 1024 * 1024;

    [Test]
    public void Allocate_ThenDispose_CountsTheBufferOutAndBack()
    {
        // Arrange
        var allocator = new CountingMemoryAllocator(poolMegabytes: 8, maxDecodeMemoryBytes: 64 * MiB);

        // Act
        var buffer = allocator.Allocate<int>(1000);
        var whileHeld = (allocator.OutstandingBuffers, allocator.OutstandingBytes);
        buffer.Dispose();
        buffer.Dispose();

        // Assert
        Assert.That(whileHeld, Is.EqualTo((1L, 4000L)));
        Assert.That(allocator.OutstandingBuffers, Is.Zero);
        Assert.That(allocator.OutstandingBytes, Is.Zero);
    }

    [Test]
    public void EndOfArena_BuffersLeftBehind_AreReturnedAndCounted()
    {
        // Arrange: what a decoder's error path does when it forgets its buffers.
        var allocator = new CountingMemoryAllocator(poolMegabytes: 8, maxDecodeMemoryBytes: 64 * MiB);
        var arena = allocator.BeginArena(64 * MiB);
        _ = allocator.Allocate<byte>(100);
        _ = allocator.Allocate<byte>(8 * (int)MiB);
        allocator.Allocate<byte>(10).Dispose();

        // Act
        arena.Dispose();

        // Assert
        Assert.That(allocator.OutstandingBuffers, Is.Zero);
        Assert.That(allocator.ReclaimedBuffers, Is.EqualTo(2));
    }

    [Test]
    public void EndOfArena_BufferForTheCaller_IsKept()
    {
        // Arrange
        var allocator = new CountingMemoryAllocator(poolMegabytes: 8, maxDecodeMemoryBytes: 64 * MiB);
        var arena = allocator.BeginArena(64 * MiB);
        var forCaller = allocator.AllocateForCaller<float>(1000);

        // Act
        arena.Dispose();

        // Assert
        Assert.That(allocator.OutstandingBuffers, Is.EqualTo(1));
        forCaller.Memory.Span[999] = 1f;
        forCaller.Dispose();
        Assert.That(allocator.OutstandingBuffers, Is.Zero);
    }

    [Test]
    public void Allocate_OverTheArenaBudget_ThrowsAndMarksTheArena()
    {
        // Arrange
        var allocator = new CountingMemoryAllocator(poolMegabytes: 8, maxDecodeMemoryBytes: 64 * MiB);
        using var arena = allocator.BeginArena(2 * MiB);
        using var first = allocator.Allocate<byte>((int)MiB);

        // Act, Assert: the second MiB fits, the third does not.
        using (allocator.Allocate<byte>((int)MiB))
        {
            Assert.Throws<InvalidMemoryOperationException>(() => allocator.Allocate<byte>(1));
        }

        Assert.That(arena.BudgetExceeded, Is.True);
        Assert.That(arena.ChargedBytes, Is.EqualTo(MiB));
    }

    [Test]
    public void Allocate_OutsideAnyArena_HasNoBudgetButIsCounted()
    {
        // Arrange
        var allocator = new CountingMemoryAllocator(poolMegabytes: 8, maxDecodeMemoryBytes: 64 * MiB);
        using (allocator.BeginArena(MiB))
        {
        }

        // Act
        using var buffer = allocator.Allocate<byte>(4 * (int)MiB);

        // Assert
        Assert.That(allocator.OutstandingBuffers, Is.EqualTo(1));
    }
}
