using System.Diagnostics;
using HashForum.Hashing.Pdq;

namespace HashForum.MemberApi.Tests.Infrastructure;

/// <summary>
/// One server per test class, with an operator and two members: <see cref="MemberKey"/> (lookup, contribute, sync)
/// and <see cref="OtherKey"/> (the same scopes, another member).
/// </summary>
internal abstract class MemberApiFixture
{
    protected string Pepper { get; } = TestServer.NewPepper();

    protected TestServer Server { get; private set; } = null!;

    protected string OperatorKey { get; private set; } = null!;

    protected string MemberId { get; private set; } = null!;

    protected string MemberKey { get; private set; } = null!;

    protected string OtherId { get; private set; } = null!;

    protected string OtherKey { get; private set; } = null!;

    protected virtual IDictionary<string, string>? Settings => null;

    [OneTimeSetUp]
    public async Task StartServer()
    {
        Server = await TestServer.StartAsync(Pepper, settings: Settings);
        OperatorKey = await Server.BootstrapAsync(Pepper);
        (MemberId, MemberKey) = await Server.NewMemberAsync(OperatorKey, "Member A", "lookup", "contribute", "sync");
        (OtherId, OtherKey) = await Server.NewMemberAsync(OperatorKey, "Member B", "lookup", "contribute", "sync");
    }

    [OneTimeTearDown]
    public async Task StopServer() => await Server.DisposeAsync();

    /// <summary>A random PDQ-shaped hash (128 bits set, as real hashes are near).</summary>
    protected static Hash256 RandomHash()
    {
        Span<byte> bytes = stackalloc byte[32];
        System.Security.Cryptography.RandomNumberGenerator.Fill(bytes);
        return Hash256.FromBytes(bytes);
    }

    /// <summary><paramref name="hash"/> with its first <paramref name="bits"/> bits flipped.</summary>
    protected static Hash256 Flip(Hash256 hash, int bits)
    {
        for (var i = 0; i < bits; i++)
        {
            hash = hash.FlipBit(i * 6);
        }

        return hash;
    }

    /// <summary>Polls until <paramref name="condition"/> holds; fails after a generous 10 s. Returns the time taken.</summary>
    protected static async Task<TimeSpan> EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            if (await condition())
            {
                return watch.Elapsed;
            }

            await Task.Delay(20);
        }

        Assert.Fail($"Not within 10 s: {what}.");
        return watch.Elapsed;
    }
}
