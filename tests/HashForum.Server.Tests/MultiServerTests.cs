using System.Diagnostics;
using Grpc.Core;
using HashForum.Contracts.V1;

namespace HashForum.Server.Tests;

/// <summary>Servers sharing one store: the pepper decides which keys they accept, and revocation reaches all of them.</summary>
[TestFixture]
[NonParallelizable]
internal sealed class MultiServerTests
{
    /// <summary>The issue's bound: a revocation is refused on every server within this time.</summary>
    private static readonly TimeSpan s_revocationBound = TimeSpan.FromSeconds(5);

    [Test]
    public async Task WhoAmI_KeyFromAnotherServersPepper_Unauthenticated()
    {
        var pepper = TestServer.NewPepper();
        await using var first = await TestServer.StartAsync(pepper);
        await using var second = await TestServer.StartAsync(TestServer.NewPepper(), redis: first.StoreEndpoint());
        var operatorKey = await first.BootstrapAsync(pepper);
        var key = await IssueAsync(first, operatorKey);
        await first.Account.WhoAmIAsync(new WhoAmIRequest(), TestServer.With(key));

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await second.Account.WhoAmIAsync(new WhoAmIRequest(), TestServer.With(key)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.Unauthenticated));
        Assert.That(ex.Status.Detail, Does.Contain("not recognised"));
        Assert.That(second.Logs.Contains("pepper differs"), Is.True, "the second server warns that its pepper differs from the store's");
    }

    [Test]
    public async Task RevokeKey_OnOneServer_RefusedByTheOtherWithinFiveSeconds()
    {
        var pepper = TestServer.NewPepper();
        await using var first = await TestServer.StartAsync(pepper);
        await using var second = await TestServer.StartAsync(pepper, redis: first.StoreEndpoint());
        await AssertRevocationReachesAsync(first, second, pepper);
    }

    [Test]
    public async Task RevokeKey_OnRealRedis_RefusedByTheOtherWithinFiveSeconds()
    {
        var redis = TestRedis.Require();
        var pepper = TestServer.NewPepper();
        await using var first = await TestServer.StartAsync(pepper, redis: redis);
        await using var second = await TestServer.StartAsync(pepper, redis: redis);
        await AssertRevocationReachesAsync(first, second, pepper);
    }

    [Test]
    public async Task RevokeKey_OnRedisCluster_RefusedByTheOtherWithinFiveSeconds()
    {
        using var cluster = RedisCluster.Start();
        var pepper = TestServer.NewPepper();
        await using var first = await TestServer.StartAsync(pepper, redis: cluster.Configuration);
        await using var second = await TestServer.StartAsync(pepper, redis: cluster.Configuration);
        await AssertRevocationReachesAsync(first, second, pepper);
    }

    [Test]
    public async Task RevokeKey_WithoutInvalidationMessages_RefusedWithinFiveSecondsByCacheExpiry()
    {
        // The second server keeps keys for 4 s (the longest allowed) and its invalidation messages are lost.
        var pepper = TestServer.NewPepper();
        await using var first = await TestServer.StartAsync(pepper);
        await using var second = await TestServer.StartAsync(pepper, redis: first.StoreEndpoint(),
            settings: new Dictionary<string, string> { ["HashForum:Membership:KeyCacheDuration"] = "00:00:04" });
        var validator = (HashForum.Membership.KeyValidator)second.Services.GetService(typeof(HashForum.Membership.KeyValidator))!;
        var operatorKey = await first.BootstrapAsync(pepper);
        var key = await IssueAsync(first, operatorKey);
        var me = await second.Account.WhoAmIAsync(new WhoAmIRequest(), TestServer.With(key));
        validator.IgnoreInvalidations = true;

        await first.Admin.RevokeKeyAsync(new RevokeKeyRequest { Id = me.KeyId }, TestServer.With(operatorKey));
        var seenAfter = await TimeUntilRefusedAsync(second, key);

        Assert.That(seenAfter, Is.LessThanOrEqualTo(s_revocationBound));
    }

    [Test]
    public async Task Bootstrap_Twice_TwoWorkingOperatorKeysForOneOperator()
    {
        var pepper = TestServer.NewPepper();
        await using var server = await TestServer.StartAsync(pepper);

        var firstKey = await server.BootstrapAsync(pepper);
        var secondKey = await server.BootstrapAsync(pepper);

        Assert.That(secondKey, Is.Not.EqualTo(firstKey));
        var one = await server.Account.WhoAmIAsync(new WhoAmIRequest(), TestServer.With(firstKey));
        var two = await server.Account.WhoAmIAsync(new WhoAmIRequest(), TestServer.With(secondKey));
        Assert.That(one.MemberId, Is.EqualTo(two.MemberId));
        Assert.That(one.Kind, Is.EqualTo(MemberKind.Operator));
        Assert.That(one.Scopes, Is.EqualTo(new[] { "admin" }));
        var members = await server.Admin.ListMembersAsync(new ListMembersRequest(), TestServer.With(secondKey));
        Assert.That(members.Members.Count(m => m.Kind == MemberKind.Operator), Is.EqualTo(1));
    }

    [Test]
    public async Task Bootstrap_WithoutRunningServer_KeyWorksOnTheServerStartedAfterwards()
    {
        var pepper = TestServer.NewPepper();
        var data = TestServer.NewTempFolder();
        string key;
        await using (var earlier = await TestServer.StartAsync(pepper, dataPath: data))
        {
            // Stopping the server removes its endpoint file: the next bootstrap opens the data folder itself.
        }

        key = await BootstrapOfflineAsync(data, pepper);
        await using var server = await TestServer.StartAsync(pepper, dataPath: data);

        var me = await server.Account.WhoAmIAsync(new WhoAmIRequest(), TestServer.With(key));

        Assert.That(me.Kind, Is.EqualTo(MemberKind.Operator));
    }

    private static async Task<string> BootstrapOfflineAsync(string data, string pepper)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await Hosting.BootstrapCommand.RunAsync(
            ["bootstrap", "--HashForum:Store:DataPath=" + data, "--HashForum:Membership:Pepper=" + pepper], stdout, stderr);
        Assert.That(code, Is.Zero, stderr.ToString());
        return stdout.ToString().TrimEnd().Split('\n')[^1].Trim();
    }

    private static async Task AssertRevocationReachesAsync(TestServer first, TestServer second, string pepper)
    {
        var operatorKey = await first.BootstrapAsync(pepper);
        var key = await IssueAsync(first, operatorKey);
        var me = await second.Account.WhoAmIAsync(new WhoAmIRequest(), TestServer.With(key)); // now cached on the second server

        await first.Admin.RevokeKeyAsync(new RevokeKeyRequest { Id = me.KeyId }, TestServer.With(operatorKey));
        var seenAfter = await TimeUntilRefusedAsync(second, key);

        Assert.That(seenAfter, Is.LessThanOrEqualTo(s_revocationBound));
    }

    private static async Task<TimeSpan> TimeUntilRefusedAsync(TestServer server, string key)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            try
            {
                await server.Account.WhoAmIAsync(new WhoAmIRequest(), TestServer.With(key));
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Unauthenticated)
            {
                return watch.Elapsed;
            }

            await Task.Delay(50);
        }

        Assert.Fail("The revoked key was still accepted after 30 s.");
        return watch.Elapsed;
    }

    private static async Task<string> IssueAsync(TestServer server, string operatorKey)
    {
        var member = await server.Admin.CreateMemberAsync(new CreateMemberRequest { Name = "Shared" }, TestServer.With(operatorKey));
        var issue = new IssueKeyRequest { MemberId = member.Id };
        issue.Scopes.Add("lookup");
        return (await server.Admin.IssueKeyAsync(issue, TestServer.With(operatorKey))).Key;
    }
}
