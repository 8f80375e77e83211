using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using HashForum.Storage.Garnet;
using HashForum.Storage.Internal;
using HashForum.Storage.Tests.Servers;

namespace HashForum.Storage.Tests;

/// <summary>
/// kill -9 right after acknowledged writes, of the process hosting embedded Garnet and of redis-server
/// (appendonly yes, appendfsync always): after a restart every acknowledged record is there, and none twice.
/// </summary>
[NonParallelizable]
public sealed class CrashSafetyTests
{
    private string _directory = null!;

    [SetUp]
    public void CreateDirectory()
    {
        _directory = Path.Combine(Path.GetTempPath(), "hashforum-crash-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
    }

    [TearDown]
    public void DeleteDirectory()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Test]
    public async Task EmbeddedGarnet_HostKilledAfterAcknowledgedWrites_EveryAcknowledgedRecordSurvivesOnce()
    {
        var acknowledged = new ConcurrentDictionary<string, long>();
        var enough = new TaskCompletionSource();
        var host = Path.Combine(TestContext.CurrentContext.TestDirectory, "HashForum.Storage.TestHost.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(host);
        info.ArgumentList.Add(_directory);
        using (var process = Process.Start(info)!)
        {
            process.OutputDataReceived += (_, e) =>
            {
                var parts = e.Data?.Split(' ');
                if (parts is ["ACK", var value, var id])
                {
                    acknowledged[value] = long.Parse(id, CultureInfo.InvariantCulture);
                    if (acknowledged.Count >= 300)
                    {
                        enough.TrySetResult();
                    }
                }
            };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var finished = await Task.WhenAny(enough.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60)));
            Assert.That(finished, Is.SameAs(enough.Task), "the host should acknowledge 300 writes within a minute");

            process.Kill(); // SIGKILL: no shutdown, no flush, no checkpoint
            await process.WaitForExitAsync();
        }

        var snapshot = acknowledged.ToDictionary();
        using var garnet = new EmbeddedGarnetServer(_directory, new EmbeddedGarnetOptions { Memory = "64m", Index = "16m", IndexMax = "64m" });
        var options = new HashForumStoreOptions { Redis = garnet.EnsureStarted(), Partitions = 4 };
        using var connection = StoreConnection.Connect(options, embedded: null);
        await AssertEveryAcknowledgedRecordOnceAsync(new RedisHashStore(connection, options), SignalType.Sha256, snapshot);
    }

    [Test]
    public async Task RedisServer_KilledAfterAcknowledgedWrites_EveryAcknowledgedRecordSurvivesOnce()
    {
        Tools.RequireRedisServer();
        using var redis = new RedisServerProcess("durable.conf", _directory, RedisServerProcess.FreePort());
        redis.Start();
        var options = new HashForumStoreOptions { Redis = redis.Endpoint, Partitions = 4 };
        var acknowledged = new ConcurrentDictionary<string, long>();
        using (var connection = StoreConnection.Connect(options, embedded: null))
        {
            var store = new RedisHashStore(connection, options);
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var value = (w * 1_000_000 + i).ToString("x64", CultureInfo.InvariantCulture);
                    try
                    {
                        var result = await store.ContributeAsync(new Contribution { Signal = SignalType.Sha256, Value = value, Member = "crash-test" });
                        acknowledged[value] = result.Record.Id;
                    }
                    catch (StoreUnavailableException)
                    {
                        return; // the server is gone: this write was never acknowledged
                    }
                }
            })).ToArray();
            await MemorySink.WaitUntilAsync(() => acknowledged.Count >= 500, TimeSpan.FromSeconds(60), "500 acknowledged writes");

            redis.Kill(); // SIGKILL while the writers are still writing
            await stop.CancelAsync();
            await Task.WhenAll(writers);
        }

        var snapshot = acknowledged.ToDictionary();
        using var restarted = new RedisServerProcess("durable.conf", _directory, redis.Port);
        restarted.Start();
        using var reconnected = StoreConnection.Connect(options, embedded: null);
        await AssertEveryAcknowledgedRecordOnceAsync(new RedisHashStore(reconnected, options), SignalType.Sha256, snapshot);
    }

    private static async Task AssertEveryAcknowledgedRecordOnceAsync(RedisHashStore store, SignalType signal, Dictionary<string, long> acknowledged)
    {
        var missing = new List<string>();
        foreach (var (value, id) in acknowledged)
        {
            var found = await store.FindByValueAsync(signal, value);
            if (found.Count != 1 || found[0].Id != id)
            {
                missing.Add($"{value}: expected id {id}, found [{string.Join(",", found.Select(r => r.Id))}]");
            }
        }

        var sink = new MemorySink();
        await store.LoadActiveAsync(sink);
        var head = await store.GetHeadAsync();
        var log = await store.ReadChangesAsync(StoreCursor.Start(head.Partitions), maxPerPartition: 100_000);
        await TestContext.Out.WriteLineAsync(
            $"acknowledged {acknowledged.Count}, present after restart {sink.Count} (unacknowledged writes may also have landed), log entries {log.Entries.Count}");
        Assert.That(missing, Is.Empty, "acknowledged records lost or duplicated");
        Assert.That(sink.Count, Is.GreaterThanOrEqualTo(acknowledged.Count));
        Assert.That(log.Entries.Select(e => e.RecordId).Distinct().Count(), Is.EqualTo(log.Entries.Count), "no record added twice");
        var logged = log.Entries.Select(e => e.RecordId).ToHashSet();
        var unloggedAcknowledged = acknowledged.Values.Where(id => !logged.Contains(id)).ToList();
        var unloggedOthers = sink.Ids.Where(id => !logged.Contains(id) && !acknowledged.ContainsValue(id)).ToList();
        await TestContext.Out.WriteLineAsync($"heads after restart: {head}");
        if (unloggedOthers.Count > 0)
        {
            // Seen about once in fifteen runs on embedded Garnet: the write in flight at the kill (never
            // acknowledged) came back with its active-records entry but without its log entry. Servers load it at
            // start all the same; only a member mirroring through the log would miss it. Reported, not failed: the
            // guarantee is about acknowledged writes.
            await TestContext.Out.WriteLineAsync($"unacknowledged write(s) recovered without a log entry: {string.Join(", ", unloggedOthers)}");
        }

        Assert.That(unloggedAcknowledged, Is.Empty, "acknowledged records without a log entry: record and log are written together");
    }
}
