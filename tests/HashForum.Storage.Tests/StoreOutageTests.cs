using System.Diagnostics;
using System.Globalization;
using HashForum.Storage.Tests.Servers;
using HashForum.Testing;

namespace HashForum.Storage.Tests;

/// <summary>
/// Redis going away: writes fail fast with a clear error, lookups keep being answered from memory, and when Redis
/// returns the server reconnects and catches up by itself.
/// </summary>
[NonParallelizable]
public sealed class StoreOutageTests
{
    [Test]
    public async Task RedisServer_GoesAwayAndReturns_WritesFailFastMemoryServesAndFollowerCatchesUp()
    {
        LocalTools.RequireRedisServer();
        var directory = Path.Combine(Path.GetTempPath(), "hashforum-outage-tests", Guid.NewGuid().ToString("N"));
        try
        {
            using var redis = new RedisServerProcess("durable.conf", directory, LocalTools.FreePort());
            redis.Start();
            var options = new HashForumStoreOptions { Partitions = 4, PollInterval = TimeSpan.FromMilliseconds(200) };
            await using var host = new IndexHost(redis.Endpoint + ",password=not-logged", options);
            await host.Follower.Loaded;
            var before = new List<long>();
            for (var i = 0; i < 20; i++)
            {
                before.Add((await host.Store.ContributeAsync(Pdq(i))).Record.Id);
            }

            await MemorySink.WaitUntilAsync(() => before.All(host.Sink.Contains), TimeSpan.FromSeconds(10), "the first records in memory");

            redis.Kill();
            var failedAfter = Stopwatch.StartNew();
            var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => WriteUntilRefusedAsync(host.Store));
            failedAfter.Stop();
            var refusedIn = Stopwatch.StartNew();
            var second = await Assert.ThrowsAsync<StoreUnavailableException>(() => host.Store.ContributeAsync(Pdq(100)));
            refusedIn.Stop();

            Assert.That(error!.Message, Does.Contain("unreachable").And.Contain(redis.Endpoint));
            Assert.That(error.Message + second!.Message, Does.Not.Contain("not-logged"), "the password never appears");
            Assert.That(before.All(host.Sink.Contains), Is.True, "lookups are still answered from memory");

            using var restarted = new RedisServerProcess("durable.conf", directory, redis.Port);
            restarted.Start();
            var reconnect = Stopwatch.StartNew();
            long added = 0;
            while (added == 0)
            {
                try
                {
                    added = (await host.Store.ContributeAsync(Pdq(200))).Record.Id;
                }
                catch (StoreUnavailableException) when (reconnect.Elapsed < TimeSpan.FromSeconds(30))
                {
                    await Task.Delay(50);
                }
            }

            var writable = reconnect.Elapsed;
            await MemorySink.WaitUntilAsync(() => host.Sink.Contains(added), TimeSpan.FromSeconds(30), "the follower to catch up after the outage");
            await TestContext.Out.WriteLineAsync(
                $"first write refused {failedAfter.Elapsed.TotalMilliseconds:F0} ms after the kill, next refused in {refusedIn.Elapsed.TotalMilliseconds:F1} ms; " +
                $"writable again {writable.TotalMilliseconds:F0} ms after restart, follower caught up {reconnect.Elapsed.TotalMilliseconds:F0} ms after restart");
            Assert.That(host.Sink.Count, Is.EqualTo(21));
        }
        finally
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task WriteUntilRefusedAsync(Internal.RedisHashStore store)
    {
        // The first writes after a kill may still find the socket open; the store must refuse within seconds.
        var stopwatch = Stopwatch.StartNew();
        for (var i = 1000; stopwatch.Elapsed < TimeSpan.FromSeconds(20); i++)
        {
            await store.ContributeAsync(Pdq(i));
            await Task.Delay(10);
        }
    }

    private static Contribution Pdq(int i) => new()
    {
        Signal = SignalType.Pdq,
        Value = i.ToString("x64", CultureInfo.InvariantCulture),
        Member = "member-a",
    };
}
