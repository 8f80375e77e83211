using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using HashForum.Cli.Members;
using HashForum.Contracts.V1;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace HashForum.Cli.Bench;

/// <summary>
/// <c>hashforum bench lookup</c>: lookups against a running server, closed-loop with C callers (or paced at
/// <c>--rate</c>), and, in the same run, the rate of the health check (no authentication, no work) with the same
/// callers: the transport's ceiling, so the ratio shows what a lookup costs on top of gRPC itself.
/// </summary>
internal static class LookupBenchCommand
{
    public const string Usage = """
        usage: hashforum bench lookup --server URL --key KEY [--mode unary|batch|image] [--concurrency C] [--seconds S]
                                      [--batch-size N] [--rate PER_S] [--connections N] [--server-pid PID] [--json]
          unary   one LookupHash call per random PDQ hash          (rate = hashes/s)
          batch   LookupBatch calls of N random hashes (default 1000) (rate = hashes/s)
          image   LookupImage with 1-megapixel JPEGs                 (rate = images/s)
          --rate         pace calls at this many per second in total (open loop) instead of as fast as possible
          --connections  HTTP/2 connections (channels) the callers share round-robin (default 2)
          --server-pid   a server on this machine: also report its CPU time per call (Linux, /proc)
        Prints mode, rate, p50 and p99 latency of a call, the health check's rate as the ceiling, and the CPU time
        per call of this client (and of the server with --server-pid), which holds steadier than rates when other
        work shares the machine;
        --json: {"mode","rate_per_s","p50_ms","p99_ms","ceiling_rate_per_s","concurrency","seconds","calls","errors",
                 "connections","client_cpu_us_per_call","server_cpu_us_per_call","server_cpu_us_per_health_call","load_average"}.
        """;

    private static readonly HashSet<string> s_flags = new(StringComparer.Ordinal) { "--json" };
    private static readonly HashSet<string> s_options = new(StringComparer.Ordinal)
    {
        "--mode", "--concurrency", "--seconds", "--batch-size", "--rate", "--connections", "--server-pid",
    };

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr) =>
        MemberClient.Run("bench lookup", Usage, stdout, stderr, () =>
        {
            var parsed = MemberArguments.Parse(args, s_flags, s_options);
            if (parsed.Has("--help"))
            {
                stdout.WriteLine(Usage);
                return ExitCodes.Ok;
            }

            var mode = parsed.Get("--mode") ?? "unary";
            if (mode is not ("unary" or "batch" or "image"))
            {
                throw new Admin.UsageException($"--mode is unary, batch or image; got '{mode}'");
            }

            var concurrency = parsed.GetInt("--concurrency", 1, 4096) ?? (mode == "image" ? 4 : 32);
            var seconds = parsed.GetInt("--seconds", 1, 3600) ?? 10;
            var batchSize = parsed.GetInt("--batch-size", 1, 100_000) ?? 1000;
            var rate = parsed.GetInt("--rate", 1, 10_000_000);
            var connections = parsed.GetInt("--connections", 1, 64) ?? 2;
            var serverPid = parsed.GetInt("--server-pid", 1, int.MaxValue);

            // Each client is its own channel, so its own HTTP/2 connection: one connection serialises every frame of
            // every stream through one writer on each side, which the callers of a busy bench queue behind.
            var clients = Enumerable.Range(0, connections).Select(_ => MemberClient.Connect(parsed)).ToArray();
            try
            {
                var work = Work(clients, mode, batchSize);
                var health = HealthCall(clients);
                var perCall = mode == "batch" ? batchSize : 1;

                // Warm up (JIT, connections, server caches), then the ceiling, then the lookups.
                Measure(health, concurrency, TimeSpan.FromSeconds(1), null);
                Measure(work, concurrency, TimeSpan.FromSeconds(1), rate);
                var healthCpu = serverPid is { } hpid ? ProcessCpu(hpid) : null;
                var ceiling = Measure(health, concurrency, TimeSpan.FromSeconds(Math.Min(seconds, 5)), null);
                healthCpu = serverPid is { } hpid2 && healthCpu is { } hbefore ? ProcessCpu(hpid2) - hbefore : null;
                var clientCpu = Environment.CpuUsage.TotalTime;
                var serverCpu = serverPid is { } pid ? ProcessCpu(pid) : null;
                var result = Measure(work, concurrency, TimeSpan.FromSeconds(seconds), rate);
                clientCpu = Environment.CpuUsage.TotalTime - clientCpu;
                serverCpu = serverPid is { } pid2 && serverCpu is { } before ? ProcessCpu(pid2) - before : null;

                var calls = Math.Max(1, result.Calls + result.Errors);
                var report = new LookupBenchReport
                {
                    Mode = mode,
                    RatePerSecond = result.Calls * perCall / result.Elapsed.TotalSeconds,
                    P50Ms = result.Percentile(0.50),
                    P99Ms = result.Percentile(0.99),
                    CeilingRatePerSecond = ceiling.Calls / ceiling.Elapsed.TotalSeconds,
                    Concurrency = concurrency,
                    Connections = connections,
                    Seconds = seconds,
                    Calls = result.Calls,
                    Errors = result.Errors,
                    BatchSize = mode == "batch" ? batchSize : 1,
                    TargetRate = rate,
                    ClientCpuUsPerCall = clientCpu.TotalMicroseconds / calls,
                    ServerCpuUsPerCall = serverCpu?.TotalMicroseconds / calls,
                    ServerCpuUsPerHealthCall = healthCpu?.TotalMicroseconds / Math.Max(1, ceiling.Calls),
                    LoadAverage = LoadAverage(),
                };
                stdout.WriteLine(parsed.Has("--json") ? report.ToJson() : report.ToText());
                if (result.FirstError is not null)
                {
                    stderr.WriteLine($"hashforum bench lookup: {result.Errors} calls failed; the first: {result.FirstError}");
                }

                return result.Errors == 0 ? ExitCodes.Ok : ExitCodes.Failed;
            }
            finally
            {
                foreach (var client in clients)
                {
                    client.Dispose();
                }
            }
        });

    /// <summary>User + system CPU time of another process on this machine (Linux: /proc/PID/stat), null elsewhere.</summary>
    private static TimeSpan? ProcessCpu(int pid)
    {
        try
        {
            // Fields after the command name (which may hold spaces, hence the last ')'): utime and stime are the 12th
            // and 13th, in clock ticks, which are 1/100 s on Linux.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromMilliseconds(ticks * 10);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The 1-minute load average (Linux: /proc/loadavg), null elsewhere.</summary>
    private static double? LoadAverage()
    {
        try
        {
            var text = File.ReadAllText("/proc/loadavg");
            return double.Parse(text.AsSpan(0, text.IndexOf(' ', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>grpc.health.v1.Health/Check with an empty request, through raw bytes (no generated client needed).</summary>
    private static Func<CancellationToken, Task> HealthCall(MemberClient[] clients)
    {
        var bytes = Marshallers.Create(static (byte[] b) => b, static b => b);
        var method = new Method<byte[], byte[]>(MethodType.Unary, "grpc.health.v1.Health", "Check", bytes, bytes);
        var invokers = clients.Select(c => c.Channel.CreateCallInvoker()).ToArray();
        var next = -1;
        return async ct =>
        {
            var invoker = invokers[(Interlocked.Increment(ref next) & int.MaxValue) % invokers.Length];
            await invoker.AsyncUnaryCall(method, null, new CallOptions(cancellationToken: ct), []).ConfigureAwait(false);
        };
    }

    private static Func<CancellationToken, Task> Work(MemberClient[] clients, string mode, int batchSize)
    {
        switch (mode)
        {
            case "unary":
            {
                var queries = Enumerable.Range(0, 4096).Select(_ => new LookupHashRequest { PdqBytes = ByteString.CopyFrom(RandomBytes(32)) }).ToArray();
                var next = -1;
                return async ct =>
                {
                    var n = Interlocked.Increment(ref next) & int.MaxValue;
                    var (client, q) = (clients[n % clients.Length], queries[n % queries.Length]);
                    await client.Lookup.LookupHashAsync(q, client.Options(TimeSpan.FromSeconds(30), ct)).ConfigureAwait(false);
                };
            }

            case "batch":
            {
                var batches = Enumerable.Range(0, 16).Select(_ =>
                {
                    var b = new LookupBatchRequest();
                    for (var i = 0; i < batchSize; i++)
                    {
                        b.Queries.Add(new LookupHashRequest { PdqBytes = ByteString.CopyFrom(RandomBytes(32)) });
                    }

                    return b;
                }).ToArray();
                var next = -1;
                return async ct =>
                {
                    var n = Interlocked.Increment(ref next) & int.MaxValue;
                    var (client, b) = (clients[n % clients.Length], batches[n % batches.Length]);
                    await client.Lookup.LookupBatchAsync(b, client.Options(TimeSpan.FromSeconds(60), ct)).ConfigureAwait(false);
                };
            }

            default:
            {
                var images = Enumerable.Range(0, 8).Select(i => new LookupImageRequest { Image = ByteString.CopyFrom(MegapixelJpeg(i)) }).ToArray();
                var next = -1;
                return async ct =>
                {
                    var n = Interlocked.Increment(ref next) & int.MaxValue;
                    var (client, image) = (clients[n % clients.Length], images[n % images.Length]);
                    await client.Lookup.LookupImageAsync(image, client.Options(TimeSpan.FromSeconds(60), ct)).ConfigureAwait(false);
                };
            }
        }
    }

    /// <summary>A 1000 x 1000 JPEG with photo-like gradients and texture, different for each seed.</summary>
    internal static byte[] MegapixelJpeg(int seed)
    {
        using var image = new Image<Rgb24>(1000, 1000);
        var random = new Random(seed);
        var (a, b, c) = (random.Next(1, 9), random.Next(1, 9), random.Next(256));
        for (var y = 0; y < 1000; y++)
        {
            for (var x = 0; x < 1000; x++)
            {
                var v = (x * a) + (y * b) + c + (((x / 50) ^ (y / 70)) * 40) + random.Next(8);
                image[x, y] = new Rgb24((byte)v, (byte)(v >> 1), (byte)(255 - v));
            }
        }

        using var stream = new MemoryStream();
        image.SaveAsJpeg(stream);
        return stream.ToArray();
    }

    private static byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        System.Security.Cryptography.RandomNumberGenerator.Fill(bytes);
        return bytes;
    }

    private static Result Measure(Func<CancellationToken, Task> call, int concurrency, TimeSpan duration, int? rate)
    {
        using var stop = new CancellationTokenSource(duration);
        var latencies = new List<double>[concurrency];
        var errors = 0L;
        string? firstError = null;
        var watch = Stopwatch.StartNew();
        var issued = -1L;
        var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            var mine = latencies[w] = new List<double>(1 << 16);
            while (!stop.IsCancellationRequested)
            {
                if (rate is { } perSecond)
                {
                    // Open loop: call number n starts at n / rate, whoever is free takes it.
                    var n = Interlocked.Increment(ref issued);
                    var due = TimeSpan.FromSeconds(n / (double)perSecond);
                    var wait = due - watch.Elapsed;
                    if (wait > TimeSpan.Zero)
                    {
                        try
                        {
                            await Task.Delay(wait, stop.Token).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException)
                        {
                            break;
                        }
                    }
                }

                var start = Stopwatch.GetTimestamp();
                try
                {
                    await call(CancellationToken.None).ConfigureAwait(false);
                    mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
                catch (RpcException ex)
                {
                    Interlocked.Increment(ref errors);
                    Interlocked.CompareExchange(ref firstError, $"{ex.StatusCode}: {ex.Status.Detail}", null);
                }
            }
        })).ToArray();
        Task.WaitAll(workers);
        var elapsed = watch.Elapsed;
        var all = latencies.SelectMany(l => l).ToArray();
        Array.Sort(all);
        return new Result(all, elapsed, errors, firstError);
    }

    private sealed record Result(double[] Latencies, TimeSpan Elapsed, long Errors, string? FirstError)
    {
        public long Calls => Latencies.Length;

        public double Percentile(double fraction) =>
            Latencies.Length == 0 ? double.NaN : Latencies[Math.Min(Latencies.Length - 1, (int)Math.Ceiling(fraction * Latencies.Length) - 1)];
    }
}

/// <summary>What <c>hashforum bench lookup</c> measured.</summary>
internal sealed class LookupBenchReport
{
    public required string Mode { get; init; }

    public double RatePerSecond { get; init; }

    public double P50Ms { get; init; }

    public double P99Ms { get; init; }

    public double CeilingRatePerSecond { get; init; }

    public int Concurrency { get; init; }

    public int Connections { get; init; }

    public double ClientCpuUsPerCall { get; init; }

    public double? ServerCpuUsPerCall { get; init; }

    public double? ServerCpuUsPerHealthCall { get; init; }

    public double? LoadAverage { get; init; }

    public int Seconds { get; init; }

    public long Calls { get; init; }

    public long Errors { get; init; }

    public int BatchSize { get; init; }

    public int? TargetRate { get; init; }

    public string ToJson() => MemberClient.Json(w =>
    {
        w.WriteString("mode", Mode);
        w.WriteNumber("rate_per_s", Math.Round(RatePerSecond, 1));
        w.WriteNumber("p50_ms", Math.Round(P50Ms, 3));
        w.WriteNumber("p99_ms", Math.Round(P99Ms, 3));
        w.WriteNumber("ceiling_rate_per_s", Math.Round(CeilingRatePerSecond, 1));
        w.WriteNumber("concurrency", Concurrency);
        w.WriteNumber("seconds", Seconds);
        w.WriteNumber("calls", Calls);
        w.WriteNumber("errors", Errors);
        w.WriteNumber("batch_size", BatchSize);
        w.WriteNumber("connections", Connections);
        w.WriteNumber("client_cpu_us_per_call", Math.Round(ClientCpuUsPerCall, 1));
        if (ServerCpuUsPerCall is { } server)
        {
            w.WriteNumber("server_cpu_us_per_call", Math.Round(server, 1));
        }

        if (ServerCpuUsPerHealthCall is { } health)
        {
            w.WriteNumber("server_cpu_us_per_health_call", Math.Round(health, 1));
        }

        if (LoadAverage is { } load)
        {
            w.WriteNumber("load_average", load);
        }

        if (TargetRate is { } target)
        {
            w.WriteNumber("target_calls_per_s", target);
        }
    });

    public string ToText() => string.Create(CultureInfo.InvariantCulture,
        $"mode {Mode}: {RatePerSecond:F0} {(Mode == "image" ? "images" : "hashes")}/s, call p50 {P50Ms:F2} ms, p99 {P99Ms:F2} ms ({Calls} calls, {Errors} errors, concurrency {Concurrency}, {Connections} connections{(TargetRate is { } t ? $", paced at {t} calls/s" : string.Empty)}); health-check ceiling {CeilingRatePerSecond:F0} calls/s; CPU per call: client {ClientCpuUsPerCall:F0} us{(ServerCpuUsPerCall is { } s ? $", server {s:F0} us (health check {ServerCpuUsPerHealthCall:F0} us)" : string.Empty)}; load average {LoadAverage:F1}");
}
