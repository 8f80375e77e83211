using Grpc.Core;
using HashForum.Contracts.V1;

namespace HashForum.Server.Tests;

/// <summary>The admin service: members, keys (metadata only), rotation with overlap, and the audit log.</summary>
[TestFixture]
[NonParallelizable]
internal sealed class AdminServiceTests : BootstrappedServerTests
{
    [Test]
    public async Task CreateMember_Always_ActiveMemberListedAndReadable()
    {
        var created = await Server.Admin.CreateMemberAsync(
            new CreateMemberRequest { Name = "Acme Video", Contact = "trust@acme.example" }, Op());

        var read = await Server.Admin.GetMemberAsync(new GetMemberRequest { Id = created.Id }, Op());
        var listed = await Server.Admin.ListMembersAsync(new ListMembersRequest(), Op());

        Assert.That(read, Is.EqualTo(created));
        Assert.That(created.Status, Is.EqualTo(MemberStatus.Active));
        Assert.That(created.Kind, Is.EqualTo(MemberKind.Member));
        Assert.That(listed.Members.Select(m => m.Id), Does.Contain(created.Id));
    }

    [Test]
    public async Task CreateMember_NoName_InvalidArgument()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await Server.Admin.CreateMemberAsync(new CreateMemberRequest { Name = " " }, Op()));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(ex.Status.Detail, Does.Contain("name"));
    }

    [Test]
    public async Task SuspendMember_UnknownId_NotFound()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await Server.Admin.SuspendMemberAsync(new SuspendMemberRequest { Id = "mem_nosuchmember" }, Op()));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.NotFound));
    }

    [Test]
    public async Task ListKeys_AfterIssueAndUse_MetadataWithLastUsedAndNoKey()
    {
        var member = await Server.Admin.CreateMemberAsync(new CreateMemberRequest { Name = "Lister" }, Op());
        var issued = await IssueAsync(member.Id, "lookup", "sync");
        await Server.Account.WhoAmIAsync(new WhoAmIRequest(), TestServer.With(issued.Key));

        var keys = await Server.Admin.ListKeysAsync(new ListKeysRequest { MemberId = member.Id }, Op());

        var info = keys.Keys.Single();
        Assert.That(info.Id, Is.EqualTo(issued.Id));
        Assert.That(info.Scopes, Is.EqualTo(new[] { "lookup", "sync" }));
        Assert.That(info.Created, Is.Not.Null);
        Assert.That(info.Expires, Is.Null);
        Assert.That(info.ToString(), Does.Not.Contain(issued.Key[4..]));
        await PollAsync(async () => (await Server.Admin.ListKeysAsync(new ListKeysRequest { MemberId = member.Id }, Op())).Keys[0].LastUsed is not null);
    }

    [Test]
    public async Task RotateKey_WithOverlap_BothKeysWorkAndOldOneExpires()
    {
        var member = await Server.Admin.CreateMemberAsync(new CreateMemberRequest { Name = "Rotator" }, Op());
        var old = await IssueAsync(member.Id, "lookup");

        var rotated = await Server.Admin.RotateKeyAsync(new RotateKeyRequest { Id = old.Id, OverlapSeconds = 3600 }, Op());

        Assert.That(rotated.NewKey.Info.Scopes, Is.EqualTo(new[] { "lookup" }));
        Assert.That(rotated.OldKey.Expires, Is.Not.Null);
        Assert.That((await Server.Account.WhoAmIAsync(new WhoAmIRequest(), TestServer.With(old.Key))).MemberId, Is.EqualTo(member.Id));
        Assert.That((await Server.Account.WhoAmIAsync(new WhoAmIRequest(), TestServer.With(rotated.NewKey.Key))).MemberId, Is.EqualTo(member.Id));
    }

    [Test]
    public async Task RotateKey_NoOverlap_OldKeyRevoked()
    {
        var member = await Server.Admin.CreateMemberAsync(new CreateMemberRequest { Name = "Rotator now" }, Op());
        var old = await IssueAsync(member.Id, "contribute");

        var rotated = await Server.Admin.RotateKeyAsync(new RotateKeyRequest { Id = old.Id }, Op());

        Assert.That(rotated.OldKey.Revoked, Is.Not.Null);
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await Server.Account.WhoAmIAsync(new WhoAmIRequest(), TestServer.With(old.Key)));
        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.Unauthenticated));
    }

    [Test]
    public async Task ReadAuditLog_AfterActionsAndFailures_EntriesWithKeyIdsMethodPeerAndOutcome()
    {
        var member = await Server.Admin.CreateMemberAsync(new CreateMemberRequest { Name = "Audited" }, Op());
        var issued = await IssueAsync(member.Id, "lookup");
        await Assert.ThrowsAsync<RpcException>(async () => await Server.Admin.ListMembersAsync(new ListMembersRequest(), TestServer.With(issued.Key)));
        await Server.Admin.RevokeKeyAsync(new RevokeKeyRequest { Id = issued.Id }, Op());

        var log = await Server.Admin.ReadAuditLogAsync(new ReadAuditLogRequest { Limit = 1000 }, Op());

        var entries = log.Entries;
        Assert.That(entries.Select(e => e.Sequence), Is.Ordered.Descending);
        var issue = entries.First(e => e.Method.EndsWith("/IssueKey", StringComparison.Ordinal) && e.Detail.Contains(issued.Id, StringComparison.Ordinal));
        Assert.That(issue.Outcome, Is.EqualTo("ok"));
        Assert.That(issue.MemberId, Is.EqualTo("operator"));
        Assert.That(issue.KeyId, Is.Not.Empty);
        Assert.That(issue.Peer, Does.Contain("127.0.0.1"));
        var denied = entries.First(e => e.KeyId == issued.Id && e.Outcome == nameof(StatusCode.PermissionDenied));
        Assert.That(denied.MemberId, Is.EqualTo(member.Id));
        Assert.That(entries.Any(e => e.Method.EndsWith("/RevokeKey", StringComparison.Ordinal) && e.Detail.Contains(issued.Id, StringComparison.Ordinal)), Is.True);
        Assert.That(entries.Any(e => e.Method == "bootstrap"), Is.True);
        Assert.That(log.ToString(), Does.Not.Contain(issued.Key[4..]));
    }

    [Test]
    public async Task ReadAuditLog_ForOneMember_OnlyThatMembersEntries()
    {
        var member = await Server.Admin.CreateMemberAsync(new CreateMemberRequest { Name = "Filtered" }, Op());
        var issued = await IssueAsync(member.Id, "lookup");
        await Assert.ThrowsAsync<RpcException>(async () => await Server.Admin.ListMembersAsync(new ListMembersRequest(), TestServer.With(issued.Key)));

        var log = await Server.Admin.ReadAuditLogAsync(new ReadAuditLogRequest { MemberId = member.Id }, Op());

        Assert.That(log.Entries, Is.Not.Empty);
        Assert.That(log.Entries.All(e => e.MemberId == member.Id), Is.True);
    }

    private CallOptions Op() => TestServer.With(OperatorKey);

    private async Task<IssuedKey> IssueAsync(string memberId, params string[] scopes)
    {
        var issue = new IssueKeyRequest { MemberId = memberId };
        issue.Scopes.AddRange(scopes);
        return await Server.Admin.IssueKeyAsync(issue, Op());
    }

    private static async Task PollAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await condition())
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "condition not met within 20 s");
            await Task.Delay(100);
        }
    }
}
