using Grpc.Core;
using HashForum.Contracts.V1;

namespace HashForum.Server.Tests;

/// <summary>Rate limits, message size and compression.</summary>
[TestFixture]
[NonParallelizable]
internal sealed class RequestLimitTests : BootstrappedServerTests
{
    protected override IDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["HashForum:Server:MaxReceiveMessageBytes"] = "65536",
        ["HashForum:Server:Compression"] = "Decompress",
    };

    [Test]
    public async Task WhoAmI_OverMemberRateLimit_ResourceExhaustedWithRetryHint()
    {
        var member = await Server.Admin.CreateMemberAsync(new CreateMemberRequest { Name = "Busy" }, TestServer.With(OperatorKey));
        await Server.Admin.SetRateLimitAsync(
            new SetRateLimitRequest { Id = member.Id, RateLimit = new RateLimit { RequestsPerSecond = 0.01, Burst = 3 } }, TestServer.With(OperatorKey));
        var issue = new IssueKeyRequest { MemberId = member.Id };
        issue.Scopes.Add("lookup");
        var key = (await Server.Admin.IssueKeyAsync(issue, TestServer.With(OperatorKey))).Key;

        RpcException? refused = null;
        for (var i = 0; i < 10 && refused is null; i++)
        {
            try
            {
                await Server.Account.WhoAmIAsync(new WhoAmIRequest(), TestServer.With(key));
            }
            catch (RpcException ex)
            {
                refused = ex;
            }
        }

        Assert.That(refused, Is.Not.Null, "10 calls at a burst of 3 were all accepted");
        Assert.That(refused!.StatusCode, Is.EqualTo(StatusCode.ResourceExhausted));
        Assert.That(refused.Status.Detail, Does.Contain("Rate limit"));
        Assert.That(refused.Trailers.GetValue("retry-after-ms"), Is.Not.Null);
    }

    [Test]
    public async Task WhoAmI_OtherMemberAtItsLimit_StillServed()
    {
        var busy = await Server.Admin.CreateMemberAsync(new CreateMemberRequest { Name = "Busy two" }, TestServer.With(OperatorKey));
        await Server.Admin.SetRateLimitAsync(
            new SetRateLimitRequest { Id = busy.Id, RateLimit = new RateLimit { RequestsPerSecond = 0.01, Burst = 1 } }, TestServer.With(OperatorKey));
        var busyKey = await IssueLookupKeyAsync(busy.Id);
        var quiet = await Server.Admin.CreateMemberAsync(new CreateMemberRequest { Name = "Quiet" }, TestServer.With(OperatorKey));
        var quietKey = await IssueLookupKeyAsync(quiet.Id);
        await Server.Account.WhoAmIAsync(new WhoAmIRequest(), TestServer.With(busyKey));
        await Assert.ThrowsAsync<RpcException>(async () => await Server.Account.WhoAmIAsync(new WhoAmIRequest(), TestServer.With(busyKey)));

        var me = await Server.Account.WhoAmIAsync(new WhoAmIRequest(), TestServer.With(quietKey));

        Assert.That(me.MemberId, Is.EqualTo(quiet.Id));
    }

    [Test]
    public async Task CreateMember_MessageOverLimit_ResourceExhausted()
    {
        var request = new CreateMemberRequest { Name = new string('a', 100_000) };

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await Server.Admin.CreateMemberAsync(request, TestServer.With(OperatorKey)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.ResourceExhausted));
    }

    [Test]
    public async Task CreateMember_GzipWithinLimit_Decompressed()
    {
        var headers = new Metadata { { "authorization", "Bearer " + OperatorKey }, { "grpc-internal-encoding-request", "gzip" } };

        var member = await Server.Admin.CreateMemberAsync(new CreateMemberRequest { Name = "Compressed" }, headers);

        Assert.That(member.Name, Is.EqualTo("Compressed"));
    }

    [Test]
    public async Task CreateMember_GzipBombOverLimit_ResourceExhausted()
    {
        // 1 MB of one letter is about 1 kB of gzip: small on the wire, over the 64 kB limit once decompressed.
        var headers = new Metadata { { "authorization", "Bearer " + OperatorKey }, { "grpc-internal-encoding-request", "gzip" } };
        var request = new CreateMemberRequest { Name = new string('a', 1_000_000) };

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await Server.Admin.CreateMemberAsync(request, headers));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.ResourceExhausted));
    }

    [Test]
    public async Task CreateMember_GzipWhenCompressionRefused_Unimplemented()
    {
        var pepper = TestServer.NewPepper();
        await using var strict = await TestServer.StartAsync(pepper);
        var key = await strict.BootstrapAsync(pepper);
        var headers = new Metadata { { "authorization", "Bearer " + key }, { "grpc-internal-encoding-request", "gzip" } };

        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await strict.Admin.CreateMemberAsync(new CreateMemberRequest { Name = "Compressed" }, headers));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.Unimplemented));
    }

    private async Task<string> IssueLookupKeyAsync(string memberId)
    {
        var issue = new IssueKeyRequest { MemberId = memberId };
        issue.Scopes.Add("lookup");
        return (await Server.Admin.IssueKeyAsync(issue, TestServer.With(OperatorKey))).Key;
    }
}
