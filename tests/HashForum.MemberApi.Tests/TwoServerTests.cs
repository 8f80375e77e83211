using HashForum.Contracts.V1;

namespace HashForum.MemberApi.Tests;

/// <summary>
/// Two servers on one store: a contribution on one is found through the other. The target is a second; the
/// test reports the delay and fails only past a generous 10 s, so a slow machine does not make it flaky.
/// </summary>
[TestFixture]
[NonParallelizable]
internal sealed class TwoServerTests
{
    [Test]
    public async Task Contribute_OnOneServer_FoundThroughTheOther_EmbeddedStore()
    {
        var pepper = TestServer.NewPepper();
        await using var first = await TestServer.StartAsync(pepper);
        await using var second = await TestServer.StartAsync(pepper, redis: first.StoreEndpoint());
        await AssertFoundThroughOtherAsync(first, second, await first.BootstrapAsync(pepper));
    }

    [Test]
    public async Task Contribute_OnOneServer_FoundThroughTheOther_RealRedis()
    {
        var redis = TestRedis.Require();
        var pepper = TestServer.NewPepper();
        await using var first = await TestServer.StartAsync(pepper, redis: redis);
        await using var second = await TestServer.StartAsync(pepper, redis: redis);
        await AssertFoundThroughOtherAsync(first, second, await first.BootstrapAsync(pepper, redis));
    }

    private static async Task AssertFoundThroughOtherAsync(TestServer first, TestServer second, string operatorKey)
    {
        var (_, key) = await first.NewMemberAsync(operatorKey, "Two servers", "lookup", "contribute");
        Span<byte> bytes = stackalloc byte[32];
        System.Security.Cryptography.RandomNumberGenerator.Fill(bytes);
        var hash = Convert.ToHexStringLower(bytes);

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var record = (await first.Contribute.ContributeAsync(new ContributeRequest { Pdq = hash }, TestServer.With(key))).Records[0];
        while (watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            var found = await second.Lookup.LookupHashAsync(new LookupHashRequest { Pdq = hash }, TestServer.With(key));
            if (found.Matches.Any(m => m.RecordId == record.Id))
            {
                TestContext.Out.WriteLine($"Found through the second server {watch.Elapsed.TotalMilliseconds:F0} ms after the contribution call began.");
                return;
            }

            await Task.Delay(10);
        }

        Assert.Fail("The contribution was not found through the second server within 10 s.");
    }
}
