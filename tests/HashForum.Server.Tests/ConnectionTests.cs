using StackExchange.Redis;

namespace HashForum.Server.Tests;

/// <summary>
/// One Redis multiplexer per process (StackExchange.Redis' advice, and the store issue's rule): the store and
/// membership share it.
/// </summary>
[TestFixture]
public sealed class ConnectionTests
{
    [Test]
    public async Task Server_OnRealRedis_OpensTheConnectionsOfOneMultiplexerOnly()
    {
        // A client name of our own tells this server's connections from those of other suites on the same Redis.
        var name = "hf-conn-test-" + Guid.NewGuid().ToString("N")[..12];
        var redis = TestRedis.Require() + ",name=" + name;
        await using var server = await TestServer.StartAsync(TestServer.NewPepper(), redis: redis);
        var caller = await server.Account.WhoAmIAsync(new HashForum.Contracts.V1.WhoAmIRequest(), TestServer.With(null))
            .ResponseAsync.ContinueWith(t => t.Exception?.InnerException?.GetType().Name, TaskScheduler.Default);
        Assert.That(caller, Is.EqualTo("RpcException"), "an unauthenticated call is refused, so membership is up");

        await using var observer = await ConnectionMultiplexer.ConnectAsync(TestRedis.Require() + ",allowAdmin=true");
        var clients = await observer.GetServer(observer.GetEndPoints()[0]).ClientListAsync();
        var ours = clients.Count(client => client.Name == name);

        // One multiplexer holds an interactive and a subscription connection; a second one would add two more.
        Assert.That(ours, Is.InRange(1, 2), string.Join("\n", clients.Select(c => c.Raw)));
    }
}
