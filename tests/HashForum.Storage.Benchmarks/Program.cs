using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using HashForum.Storage;
using HashForum.Storage.Garnet;
using HashForum.Storage.Internal;
using StackExchange.Redis;

// Usage: HashForum.Storage.Benchmarks [garnet|redis|both] [records] [--redis host:port] [--phase write|load]
//        HashForum.Storage.Benchmarks garnet-restart [records]
// Writes N PDQ records pipelined through the real store code, then loads them back as a starting server does,
// and prints records/s for each, beside a baseline measured in the same run on the same server: plain pipelined
// SETs of the same count (the ceiling of one connection to that server). With --phase (external Redis only) one
// process writes and leaves the records there, and another loads them: the loader's memory is then its own.
var target = args.Length > 0 ? args[0] : "both";
if (target == "serve-garnet")
{
    // Hosts the embedded Garnet on a folder until Enter, for poking at it with redis-cli / redis-benchmark.
    using var served = new EmbeddedGarnetServer(args[1], new EmbeddedGarnetOptions { WaitForCommit = !args.Contains("--no-commit-wait") });
    Console.WriteLine(served.EnsureStarted());
    Console.ReadLine();
    return 0;
}

if (target == "garnet-restart")
{
    // Writes N records into embedded Garnet on a fresh folder (AOF commit waited for, as the server runs it), stops it
    // cleanly, starts it again on the same folder and loads: every record must come back.
    var records = int.Parse(args[1], CultureInfo.InvariantCulture);
    var folder = Path.Combine(Path.GetTempPath(), "hashforum-restart-" + Guid.NewGuid().ToString("N"));
    try
    {
        for (var round = 0; round < 2; round++)
        {
            using var garnet = new EmbeddedGarnetServer(folder, new EmbeddedGarnetOptions());
            var started = Stopwatch.StartNew();
            var options = new HashForumStoreOptions { Redis = garnet.EnsureStarted(), OperationTimeout = TimeSpan.FromSeconds(60) };
            Console.WriteLine($"round {round}: started in {started.Elapsed.TotalSeconds:F1} s");
            using var connection = StoreConnection.Connect(options, embedded: null);
            var store = new RedisHashStore(connection, options);
            if (round == 0)
            {
                var write = Stopwatch.StartNew();
                for (var start = 0; start < records; start += 10_000)
                {
                    await store.ContributeManyAsync([.. Enumerable.Range(start, Math.Min(10_000, records - start)).Select(i => new Contribution
                    {
                        Signal = SignalType.Pdq, Value = Value(i), Member = "bench-member", Quality = 100, Labels = ["bench"],
                    })]);
                }

                Console.WriteLine($"round {round}: wrote {records:N0} in {write.Elapsed.TotalSeconds:F1} s ({records / write.Elapsed.TotalSeconds:N0}/s; load average {LoadAverage()})");
            }

            var sink = new CountingSink();
            var head = await store.LoadActiveAsync(sink);
            Console.WriteLine($"round {round}: loaded {sink.Count:N0} active records; head {head}");
        }
    }
    finally
    {
        Directory.Delete(folder, recursive: true);
    }

    return 0;
}

var count = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000;
var externalRedis = args.SkipWhile(a => a != "--redis").Skip(1).FirstOrDefault();
var phase = args.SkipWhile(a => a != "--phase").Skip(1).FirstOrDefault() ?? "both";

if (target is "garnet" or "both")
{
    var dir = Path.Combine(Path.GetTempPath(), "hashforum-bench-" + Guid.NewGuid().ToString("N"));
    try
    {
        var wait = !args.Contains("--no-commit-wait");
        using var garnet = new EmbeddedGarnetServer(dir, new EmbeddedGarnetOptions { WaitForCommit = wait });
        await RunAsync($"embedded Garnet (AOF commit per write, {(wait ? "waited for" : "not waited for")})", garnet.EnsureStarted(), count);
    }
    finally
    {
        Directory.Delete(dir, recursive: true);
    }
}

if (target is "redis" or "both")
{
    if (externalRedis is not null)
    {
        await RunAsync($"redis-server at {externalRedis}", externalRedis, count, phase);
    }
    else
    {
        var dir = Directory.CreateTempSubdirectory("hashforum-bench-redis").FullName;
        var port = FreePort();
        using var redis = Process.Start(new ProcessStartInfo("redis-server")
        {
            ArgumentList = { "--bind", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no", "--dir", dir },
            RedirectStandardOutput = true,
        })!;
        try
        {
            await Task.Delay(500);
            var version = Run("redis-server", "--version").Split(' ').FirstOrDefault(s => s.StartsWith("v=", StringComparison.Ordinal));
            await RunAsync($"redis-server {version} (no persistence, as in CI)", "127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture), count);
        }
        finally
        {
            redis.Kill();
            await redis.WaitForExitAsync();
            Directory.Delete(dir, recursive: true);
        }
    }
}

return 0;

static async Task RunAsync(string name, string configuration, int count, string phase = "both")
{
    var options = new HashForumStoreOptions { Redis = configuration + ",allowAdmin=true", Partitions = 16, OperationTimeout = TimeSpan.FromSeconds(60) };
    using var connection = StoreConnection.Connect(options, embedded: null);
    var store = new RedisHashStore(connection, options);
    Console.WriteLine($"== {name}: {count:N0} records, {Environment.ProcessorCount} cores");

    if (phase != "load")
    {
        var baseline = await BaselineAsync(connection.Multiplexer.GetDatabase(), count);
        Console.WriteLine($"   baseline, pipelined SET:   {baseline,12:N0} ops/s");
        await WriteAsync(connection, store, count);
    }

    if (phase != "write")
    {
        await LoadAsync(store, count);
    }

    if (phase == "both" && !name.StartsWith("embedded", StringComparison.Ordinal))
    {
        // Leave the server empty again (a single server: the bench does not run against a cluster). Not on embedded
        // Garnet, whose folder is deleted anyway: there FLUSHDB of data that spilled to the storage tier hung (Garnet
        // 2.2.8, in LogAccessor.ShiftBeginAddress waiting for a flush), which is how earlier bulk runs "stalled".
        await connection.Multiplexer.GetDatabase().ExecuteAsync("FLUSHDB");
    }
}

static async Task WriteAsync(StoreConnection connection, RedisHashStore store, int count)
{
    const int batchSize = 10_000;
    var server = connection.Multiplexer.GetServer(connection.Multiplexer.GetEndPoints()[0]);
    var (serverCpu, clientCpu) = (await ServerCpuAsync(server), Environment.CpuUsage.TotalTime);
    var write = Stopwatch.StartNew();
    for (var start = 0; start < count; start += batchSize)
    {
        var batch = new Contribution[Math.Min(batchSize, count - start)];
        for (var i = 0; i < batch.Length; i++)
        {
            batch[i] = new Contribution
            {
                Signal = SignalType.Pdq,
                Value = Value(start + i),
                Member = "bench-member",
                Quality = 100,
                Labels = ["bench"],
            };
        }

        await store.ContributeManyAsync(batch);
    }

    write.Stop();
    var (serverUs, clientUs) = ((await ServerCpuAsync(server) - serverCpu) * 1e6 / count, (Environment.CpuUsage.TotalTime - clientCpu).TotalMicroseconds / count);
    Console.WriteLine($"   bulk write (contribute):   {count / write.Elapsed.TotalSeconds,12:N0} records/s  ({write.Elapsed.TotalSeconds:F1} s; CPU per record: " +
        $"{(serverCpu >= 0 ? $"server {serverUs:F1} us, " : "")}this process {clientUs:F1} us; load average {LoadAverage()})");
}

static async Task LoadAsync(RedisHashStore store, int count)
{
    GC.Collect();
    var before = GC.GetTotalMemory(forceFullCollection: true);
    var cpu = Environment.CpuUsage.TotalTime;
    var sink = new CountingSink();
    var load = Stopwatch.StartNew();
    await store.LoadActiveAsync(sink);
    load.Stop();
    using var self = Process.GetCurrentProcess();
    Console.WriteLine($"   start-up load:             {sink.Count / load.Elapsed.TotalSeconds,12:N0} records/s  ({load.Elapsed.TotalSeconds:F1} s, {sink.Count:N0} records, " +
        $"largest batch {sink.LargestBatch:N0}, CPU {(Environment.CpuUsage.TotalTime - cpu).TotalSeconds:F1} s, managed heap before {before / 1048576.0:F0} MiB and at most " +
        $"{sink.PeakManagedBytes / 1048576.0:F0} MiB during the load, peak working set {self.PeakWorkingSet64 / 1048576.0:F0} MiB; load average {LoadAverage()})");
    if (sink.Count != count)
    {
        throw new InvalidOperationException($"Loaded {sink.Count} records, wrote {count}.");
    }
}

// The server's own CPU time (user + system, seconds) from INFO; -1 for embedded Garnet, which runs in this process
// (its CPU is in this process's figure).
static async Task<double> ServerCpuAsync(IServer server)
{
    IGrouping<string, KeyValuePair<string, string>>[] info;
    try
    {
        info = await server.InfoAsync("cpu");
    }
    catch (RedisServerException)
    {
        return -1e9; // Garnet has no such section
    }

    var cpu = info.SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
    return cpu.TryGetValue("used_cpu_user", out var user) && cpu.TryGetValue("used_cpu_sys", out var sys)
        ? double.Parse(user, CultureInfo.InvariantCulture) + double.Parse(sys, CultureInfo.InvariantCulture)
        : -1e9;
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

static async Task<double> BaselineAsync(IDatabase db, int count)
{
    var stopwatch = Stopwatch.StartNew();
    var pending = new List<Task>(10_000);
    for (var i = 0; i < count; i++)
    {
        pending.Add(db.StringSetAsync("hf:bench:{b}:" + i.ToString(CultureInfo.InvariantCulture), i));
        if (pending.Count == 10_000)
        {
            await Task.WhenAll(pending);
            pending.Clear();
        }
    }

    await Task.WhenAll(pending);
    var rate = count / stopwatch.Elapsed.TotalSeconds;

    // Deleted key by key rather than by FLUSHDB, which hung on embedded Garnet (see RunAsync).
    for (var start = 0; start < count; start += 10_000)
    {
        await db.KeyDeleteAsync([.. Enumerable.Range(start, Math.Min(10_000, count - start)).Select(i => (RedisKey)("hf:bench:{b}:" + i.ToString(CultureInfo.InvariantCulture)))]);
    }

    return rate;
}

static string Value(int i)
{
    // Spread values as PDQ hashes are spread: a mixed 64-bit number, repeated.
    var x = (ulong)i * 0x9E3779B97F4A7C15UL;
    return x.ToString("x16", CultureInfo.InvariantCulture) + ((ulong)i).ToString("x16", CultureInfo.InvariantCulture) + x.ToString("x16", CultureInfo.InvariantCulture) + "0000000000000000";
}

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

static string Run(string tool, params string[] args)
{
    var info = new ProcessStartInfo(tool) { RedirectStandardOutput = true };
    foreach (var arg in args)
    {
        info.ArgumentList.Add(arg);
    }

    using var process = Process.Start(info)!;
    var output = process.StandardOutput.ReadToEnd();
    process.WaitForExit();
    return output;
}

/// <summary>Counts what a start-up load hands over, keeping nothing (the index's own memory is not measured here).</summary>
internal sealed class CountingSink : IChangeSink
{
    public long Count { get; private set; }

    private long _batches;

    public int LargestBatch { get; private set; }

    public void BeginLoad() => Count = 0;

    /// <summary>The largest managed heap seen at a batch (sampled every 64 batches).</summary>
    public long PeakManagedBytes { get; private set; }

    public void Load(ReadOnlySpan<ChangeEntry> batch)
    {
        if (_batches++ % 64 == 0)
        {
            PeakManagedBytes = Math.Max(PeakManagedBytes, GC.GetTotalMemory(forceFullCollection: false));
        }

        Count += batch.Length;
        LargestBatch = Math.Max(LargestBatch, batch.Length);
    }

    public void EndLoad()
    {
    }

    public void Apply(in ChangeEntry change)
    {
    }
}
