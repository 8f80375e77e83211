using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Health.V1;
using HashForum.Contracts.V1;

namespace HashForum.Server.Tests;

/// <summary>Every call but health needs a valid key; each refusal has its status and a message saying what to fix.</summary>
[TestFixture]
[NonParallelizable]
internal sealed class AuthenticationTests : BootstrappedServerTests
{
    [Test]
    public async Task WhoAmI_NoKey_Unauthenticated()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await Server.Account.WhoAmIAsync(new WhoAmIRequest(), TestServer.With(null)));
        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.Unauthenticated));
        Assert.That(ex.Status.Detail, Does.Contain("authorization: Bearer"));
    }

    [Test]
    public async Task WhoAmI_NotBearer_Unauthenticated()
    {
        var headers = new Metadata { { "authorization", "Basic " + OperatorKey } };
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await Server.Account.WhoAmIAsync(new WhoAmIRequest(), headers));
        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.Unauthenticated));
    }

    [TestCase("hfk_short")]
    [TestCase("not-a-key-at-all")]
    [TestCase("ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public async Task WhoAmI_MalformedKey_Unauthenticated(string key)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await Server.Account.WhoAmIAsync(new WhoAmIRequest(), TestServer.With(key)));
        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.Unauthenticated));
        Assert.That(ex.Status.Detail, Does.Contain("malformed"));
    }

    [Test]
    public async Task WhoAmI_MistypedKey_UnauthenticatedByChecksum()
    {
        var (_, key) = await NewMemberKeyAsync("lookup");
        var position = 40;
        var mistyped = key[..position] + (key[position] == 'a' ? 'b' : 'a') + key[(position + 1)..];

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await Server.Account.WhoAmIAsync(new WhoAmIRequest(), TestServer.With(mistyped)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.Unauthenticated));
        Assert.That(ex.Status.Detail, Does.Contain("checksum"));
    }

    [Test]
    public async Task WhoAmI_ValidKey_ReturnsMemberAndScopes()
    {
        var (member, key) = await NewMemberKeyAsync("lookup,sync");

        var me = await Server.Account.WhoAmIAsync(new WhoAmIRequest(), TestServer.With(key));

        Assert.That(me.MemberId, Is.EqualTo(member.Id));
        Assert.That(me.Scopes, Is.EquivalentTo(new[] { "lookup", "sync" }));
        Assert.That(me.Kind, Is.EqualTo(MemberKind.Member));
    }

    [Test]
    public async Task WhoAmI_RevokedKey_Unauthenticated()
    {
        var (_, key) = await NewMemberKeyAsync("lookup");
        var me = await Server.Account.WhoAmIAsync(new WhoAmIRequest(), TestServer.With(key));

        await Server.Admin.RevokeKeyAsync(new RevokeKeyRequest { Id = me.KeyId }, TestServer.With(OperatorKey));
        var ex = await PollUntilRefusedAsync(key);

        Assert.That(ex.StatusCode, Is.EqualTo(StatusCode.Unauthenticated));
        Assert.That(ex.Status.Detail, Does.Contain("revoked"));
    }

    [Test]
    public async Task WhoAmI_ExpiredKey_Unauthenticated()
    {
        var member = await Server.Admin.CreateMemberAsync(new CreateMemberRequest { Name = "Expiring" }, TestServer.With(OperatorKey));
        var issue = new IssueKeyRequest { MemberId = member.Id, Expires = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddSeconds(2)) };
        issue.Scopes.Add("lookup");
        var issued = await Server.Admin.IssueKeyAsync(issue, TestServer.With(OperatorKey));

        var ex = await PollUntilRefusedAsync(issued.Key);

        Assert.That(ex.StatusCode, Is.EqualTo(StatusCode.Unauthenticated));
        Assert.That(ex.Status.Detail, Does.Contain("expired"));
    }

    [Test]
    public async Task WhoAmI_SuspendedMember_PermissionDeniedUntilReactivated()
    {
        var (member, key) = await NewMemberKeyAsync("lookup");

        await Server.Admin.SuspendMemberAsync(new SuspendMemberRequest { Id = member.Id, Reason = "test" }, TestServer.With(OperatorKey));
        var ex = await PollUntilRefusedAsync(key);
        Assert.That(ex.StatusCode, Is.EqualTo(StatusCode.PermissionDenied));
        Assert.That(ex.Status.Detail, Does.Contain("suspended"));

        await Server.Admin.ReactivateMemberAsync(new ReactivateMemberRequest { Id = member.Id }, TestServer.With(OperatorKey));
        var me = await PollUntilAcceptedAsync(key);
        Assert.That(me.MemberId, Is.EqualTo(member.Id));
    }

    [Test]
    public async Task AdminCall_KeyWithoutAdminScope_PermissionDeniedNamingTheScope()
    {
        var (_, key) = await NewMemberKeyAsync("lookup,contribute,sync");

        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await Server.Admin.ListMembersAsync(new ListMembersRequest(), TestServer.With(key)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.PermissionDenied));
        Assert.That(ex.Status.Detail, Does.Contain("'admin'"));
    }

    [Test]
    public async Task IssueKey_AdminScopeForMemberOrganisation_InvalidArgument()
    {
        var member = await Server.Admin.CreateMemberAsync(new CreateMemberRequest { Name = "Not an operator" }, TestServer.With(OperatorKey));
        var issue = new IssueKeyRequest { MemberId = member.Id };
        issue.Scopes.Add("admin");

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await Server.Admin.IssueKeyAsync(issue, TestServer.With(OperatorKey)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(ex.Status.Detail, Does.Contain("operator"));
    }

    [Test]
    public async Task IssueKey_UnknownScope_InvalidArgumentListingScopes()
    {
        var member = await Server.Admin.CreateMemberAsync(new CreateMemberRequest { Name = "Scopes" }, TestServer.With(OperatorKey));
        var issue = new IssueKeyRequest { MemberId = member.Id };
        issue.Scopes.Add("everything");

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await Server.Admin.IssueKeyAsync(issue, TestServer.With(OperatorKey)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(ex.Status.Detail, Does.Contain("lookup"));
    }

    [Test]
    public async Task HealthCheck_NoKey_Serving()
    {
        var health = new Health.HealthClient(Server.Channel);

        var response = await health.CheckAsync(new HealthCheckRequest(), TestServer.With(null));

        Assert.That(response.Status, Is.EqualTo(HealthCheckResponse.Types.ServingStatus.Serving));
    }

    [Test]
    public async Task Reflection_NoKey_Unauthenticated()
    {
        var reflection = new Grpc.Reflection.V1Alpha.ServerReflection.ServerReflectionClient(Server.Channel);

        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = reflection.ServerReflectionInfo(TestServer.With(null));
            await call.RequestStream.WriteAsync(new Grpc.Reflection.V1Alpha.ServerReflectionRequest { ListServices = "" });
            await call.RequestStream.CompleteAsync();
            await call.ResponseStream.MoveNext();
        });

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.Unauthenticated));
    }

    [Test]
    public async Task Reflection_AnyValidKey_ListsTheServices()
    {
        var (_, key) = await NewMemberKeyAsync("lookup");
        var reflection = new Grpc.Reflection.V1Alpha.ServerReflection.ServerReflectionClient(Server.Channel);

        using var call = reflection.ServerReflectionInfo(TestServer.With(key));
        await call.RequestStream.WriteAsync(new Grpc.Reflection.V1Alpha.ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.That(await call.ResponseStream.MoveNext(), Is.True);

        var names = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name);
        Assert.That(names, Does.Contain("hashforum.v1.AdminService"));
    }

    private async Task<(Member Member, string Key)> NewMemberKeyAsync(string scopes)
    {
        var member = await Server.Admin.CreateMemberAsync(new CreateMemberRequest { Name = "Member " + Guid.NewGuid().ToString("N")[..6] }, TestServer.With(OperatorKey));
        var issue = new IssueKeyRequest { MemberId = member.Id };
        issue.Scopes.AddRange(scopes.Split(','));
        var issued = await Server.Admin.IssueKeyAsync(issue, TestServer.With(OperatorKey));
        return (member, issued.Key);
    }

    private async Task<RpcException> PollUntilRefusedAsync(string key)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                await Server.Account.WhoAmIAsync(new WhoAmIRequest(), TestServer.With(key));
            }
            catch (RpcException ex)
            {
                return ex;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("The key was still accepted after 20 s.");
            }

            await Task.Delay(100);
        }
    }

    private async Task<WhoAmIResponse> PollUntilAcceptedAsync(string key)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                return await Server.Account.WhoAmIAsync(new WhoAmIRequest(), TestServer.With(key));
            }
            catch (RpcException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }
}
