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
                                      [--batch-size N] [--rate PER_S] [--json]
          unary   one LookupHash call per random PDQ hash          (rate = hashes/s)
          batch   LookupBatch calls of N random hashes (default 1000) (rate = hashes/s)
          image   LookupImage with 1-megapixel JPEGs                 (rate = images/s)
          --rate  pace calls at this many per second in total (open loop) instead of as fast as possible
        Prints mode, rate, p50 and p99 latency of a call, and the health check's rate as the ceiling;
        --json: {"mode","rate_per_s","p50_ms","p99_ms","ceiling_rate_per_s","concurrency","seconds","calls","errors"}.
        """;

    private static readonly HashSet<string> s_flags = new(StringComparer.Ordinal) { "--json" };
    private static readonly HashSet<string> s_options = new(StringComparer.Ordinal)
    {
        "--mode", "--concurrency", "--seconds", "--batch-size", "--rate",
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
            using var client = MemberClient.Connect(parsed);
            var work = Work(client, mode, batchSize);
            var perCall = mode == "batch" ? batchSize : 1;

            // Warm up (JIT, connections, server caches), then the ceiling, then the lookups.
            Measure(HealthCall(client), concurrency, TimeSpan.FromSeconds(1), null);
            Measure(work, concurrency, TimeSpan.FromSeconds(1), rate);
            var ceiling = Measure(HealthCall(client), concurrency, TimeSpan.FromSeconds(Math.Min(seconds, 5)), null);
            var result = Measure(work, concurrency, TimeSpan.FromSeconds(seconds), rate);

            var report = new LookupBenchReport
            {
                Mode = mode,
                RatePerSecond = result.Calls * perCall / result.Elapsed.TotalSeconds,
                P50Ms = result.Percentile(0.50),
                P99Ms = result.Percentile(0.99),
                CeilingRatePerSecond = ceiling.Calls / ceiling.Elapsed.TotalSeconds,
                Concurrency = concurrency,
                Seconds = seconds,
                Calls = result.Calls,
                Errors = result.Errors,
                BatchSize = mode == "batch" ? batchSize : 1,
                TargetRate = rate,
            };
            stdout.WriteLine(parsed.Has("--json") ? report.ToJson() : report.ToText());
            if (result.FirstError is not null)
            {
                stderr.WriteLine($"hashforum bench lookup: {result.Errors} calls failed; the first: {result.FirstError}");
            }

            return result.Errors == 0 ? ExitCodes.Ok : ExitCodes.Failed;
        });

    /// <summary>grpc.health.v1.Health/Check with an empty request, through raw bytes (no generated client needed).</summary>
    private static Func<CancellationToken, Task> HealthCall(MemberClient client)
    {
        var bytes = Marshallers.Create(static (byte[] b) => b, static b => b);
        var method = new Method<byte[], byte[]>(MethodType.Unary, "grpc.health.v1.Health", "Check", bytes, bytes);
        var invoker = client.Channel.CreateCallInvoker();
        return async ct => await invoker.AsyncUnaryCall(method, null, new CallOptions(cancellationToken: ct), []).ConfigureAwait(false);
    }

    private static Func<CancellationToken, Task> Work(MemberClient client, string mode, int batchSize)
    {
        switch (mode)
        {
            case "unary":
            {
                var queries = Enumerable.Range(0, 4096).Select(_ => new LookupHashRequest { PdqBytes = ByteString.CopyFrom(RandomBytes(32)) }).ToArray();
                var next = -1;
                return async ct =>
                {
                    var q = queries[(Interlocked.Increment(ref next) & int.MaxValue) % queries.Length];
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
                    var b = batches[(Interlocked.Increment(ref next) & int.MaxValue) % batches.Length];
                    await client.Lookup.LookupBatchAsync(b, client.Options(TimeSpan.FromSeconds(60), ct)).ConfigureAwait(false);
                };
            }

            default:
            {
                var images = Enumerable.Range(0, 8).Select(i => new LookupImageRequest { Image = ByteString.CopyFrom(MegapixelJpeg(i)) }).ToArray();
                var next = -1;
                return async ct =>
                {
                    var image = images[(Interlocked.Increment(ref next) & int.MaxValue) % images.Length];
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
        if (TargetRate is { } target)
        {
            w.WriteNumber("target_calls_per_s", target);
        }
    });

    public string ToText() => string.Create(CultureInfo.InvariantCulture,
        $"mode {Mode}: {RatePerSecond:F0} {(Mode == "image" ? "images" : "hashes")}/s, call p50 {P50Ms:F2} ms, p99 {P99Ms:F2} ms ({Calls} calls, {Errors} errors, concurrency {Concurrency}{(TargetRate is { } t ? $", paced at {t} calls/s" : string.Empty)}); health-check ceiling {CeilingRatePerSecond:F0} calls/s");
}
