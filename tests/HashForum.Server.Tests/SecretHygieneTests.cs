using Grpc.Core;
using HashForum.Contracts.V1;

namespace HashForum.Server.Tests;

/// <summary>No key (nor the pepper) ever reaches a log line or the audit log, whatever happens to it.</summary>
[TestFixture]
[NonParallelizable]
internal sealed class SecretHygieneTests
{
    [Test]
    public async Task Logs_AfterEveryKindOfKeyUse_HoldNoKeyAndNoPepper()
    {
        var pepper = TestServer.NewPepper();
        var otherPepper = TestServer.NewPepper();
        await using var server = await TestServer.StartAsync(pepper);
        await using var other = await TestServer.StartAsync(otherPepper, redis: server.StoreEndpoint());
        var keys = new List<string> { await server.BootstrapAsync(pepper), await other.BootstrapAsync(otherPepper) };
        var op = TestServer.With(keys[0]);

        var member = await server.Admin.CreateMemberAsync(new CreateMemberRequest { Name = "Hygiene" }, op);
        var issue = new IssueKeyRequest { MemberId = member.Id };
        issue.Scopes.Add("lookup");
        var issued = await server.Admin.IssueKeyAsync(issue, op);
        keys.Add(issued.Key);
        var rotated = await server.Admin.RotateKeyAsync(new RotateKeyRequest { Id = issued.Id, OverlapSeconds = 60 }, op);
        keys.Add(rotated.NewKey.Key);
        await server.Account.WhoAmIAsync(new WhoAmIRequest(), TestServer.With(issued.Key));
        var mistyped = issued.Key[..30] + (issued.Key[30] == 'a' ? 'b' : 'a') + issued.Key[31..];
        keys.Add(mistyped);
        await Refused(server, mistyped);
        await Refused(server, keys[1]); // another server's pepper
        await Refused(other, issued.Key);
        await Refused(server, issued.Key + "x");
        await Assert.ThrowsAsync<RpcException>(async () => await server.Admin.ListMembersAsync(new ListMembersRequest(), TestServer.With(issued.Key)));
        await server.Admin.RevokeKeyAsync(new RevokeKeyRequest { Id = rotated.NewKey.Id }, op);
        await Refused(server, rotated.NewKey.Key);
        await server.Admin.SuspendMemberAsync(new SuspendMemberRequest { Id = member.Id }, op);
        await Refused(server, issued.Key);
        var audit = (await server.Admin.ReadAuditLogAsync(new ReadAuditLogRequest { Limit = 1000 }, op)).ToString();

        var logs = server.Logs.Text() + other.Logs.Text();
        Assert.That(logs, Does.Contain(issued.Id), "the logs name keys by id (so the search below looks at real lines)");
        foreach (var key in keys)
        {
            var secret = key[(4 + 16)..];
            Assert.That(logs, Does.Not.Contain(secret), "a key's secret part is in the server log");
            Assert.That(audit, Does.Not.Contain(secret), "a key's secret part is in the audit log");
        }

        Assert.That(logs, Does.Not.Contain(pepper).And.Not.Contain(otherPepper));
    }

    private static async Task Refused(TestServer server, string key)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                await server.Account.WhoAmIAsync(new WhoAmIRequest(), TestServer.With(key));
            }
            catch (RpcException)
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail("The key was accepted.");
    }
}
