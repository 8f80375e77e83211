using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using HashForum.Storage.Garnet;
using HashForum.Storage.Internal;
using HashForum.Storage.Tests.Servers;
using HashForum.Testing;

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
        using (var process = StartHost())
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

    /// <summary>
    /// Pins a report: a server restarted on an embedded data folder holding 63k records loaded 0 active records. Here
    /// a host writing through the bulk path is killed after at least 64k acknowledged records (more than the 64 MiB
    /// memory budget holds: part of the data is on the storage tier), Garnet recovers the folder, and then restarts
    /// on it once more after a clean stop: both loads hold every acknowledged record.
    /// </summary>
    [Test]
    public async Task EmbeddedGarnet_RestartOnFolderWith64kBulkRecords_LoadsEveryRecord()
    {
        const int enough = 64_000;
        var acknowledged = 0;
        var reached = new TaskCompletionSource();
        using (var process = StartHost("bulk", "2000"))
        {
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data?.Split(' ') is ["ACKED", var count])
                {
                    Volatile.Write(ref acknowledged, int.Parse(count, CultureInfo.InvariantCulture));
                    if (acknowledged >= enough)
                    {
                        reached.TrySetResult();
                    }
                }
            };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var finished = await Task.WhenAny(reached.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromMinutes(5)));
            Assert.That(finished, Is.SameAs(reached.Task), $"the host should acknowledge {enough} bulk records within five minutes");

            process.Kill();
            await process.WaitForExitAsync();
        }

        var written = Volatile.Read(ref acknowledged);
        for (var start = 0; start < 2; start++)
        {
            var started = Stopwatch.StartNew();
            using var garnet = new EmbeddedGarnetServer(_directory, new EmbeddedGarnetOptions { Memory = "64m", Index = "16m", IndexMax = "64m" });
            var options = new HashForumStoreOptions { Redis = garnet.EnsureStarted(), Partitions = 4, OperationTimeout = TimeSpan.FromSeconds(60) };
            using var connection = StoreConnection.Connect(options, embedded: null);
            var store = new RedisHashStore(connection, options);
            var sink = new MemorySink();
            await store.LoadActiveAsync(sink);
            await TestContext.Out.WriteLineAsync(
                $"start {start + 1} ({(start == 0 ? "after kill -9" : "after a clean stop")}): acknowledged {written}, loaded {sink.Count} in {started.Elapsed.TotalSeconds:F1} s");

            Assert.That(sink.Count, Is.GreaterThanOrEqualTo(written), "every acknowledged record is loaded");
            foreach (var i in new[] { 0, written / 2, written - 1 })
            {
                var value = i.ToString("x64", CultureInfo.InvariantCulture);
                Assert.That(await store.FindByValueAsync(SignalType.Sha256, value), Has.Count.EqualTo(1), $"record {i} is there once");
            }
        }
    }

    [Test]
    public async Task RedisServer_KilledAfterAcknowledgedWrites_EveryAcknowledgedRecordSurvivesOnce()
    {
        LocalTools.RequireRedisServer();
        using var redis = new RedisServerProcess("durable.conf", _directory, LocalTools.FreePort());
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

    /// <summary>Starts the crash-test host (HashForum.Storage.TestHost) on this test's folder.</summary>
    private Process StartHost(params string[] mode)
    {
        var host = Path.Combine(TestContext.CurrentContext.TestDirectory, "HashForum.Storage.TestHost.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(host);
        info.ArgumentList.Add(_directory);
        foreach (var arg in mode)
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info)!;
        process.ErrorDataReceived += (_, _) => { };
        return process;
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
            // Seen on embedded Garnet (once in fifteen runs before, at once in others): the write in flight at the
            // kill (never acknowledged) came back in part. Garnet's AOF recovery replays a prefix of a script's writes,
            // so the scripts write records, active entries, value index, sequence and log in that order: any prefix
            // is harmless (see StoreScripts.Contribute). An embedded store's followers are in the process that
            // crashed, so they all start with a full load. Reported, not failed: the guarantee is about acknowledged
            // writes; what came back of the write is printed to check that it is such a prefix.
            foreach (var id in unloggedOthers)
            {
                var record = await store.GetAsync(id);
                var byValue = record is null ? [] : await store.FindByValueAsync(record.Signal, record.Value);
                await TestContext.Out.WriteLineAsync(
                    $"unacknowledged write recovered without a log entry: id {id}, record {(record is null ? "absent" : "present")}, " +
                    $"found by value {byValue.Any(r => r.Id == id)}");
            }
        }

        Assert.That(unloggedAcknowledged, Is.Empty, "acknowledged records without a log entry: record and log are written together");
    }
}
