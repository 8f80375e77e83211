using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace HashForum.Testing;

/// <summary>
/// A real 3-master Redis Cluster on 127.0.0.1 (redis-server and redis-cli from the system, the checked-in
/// tests/RedisConfigs/cluster-node.conf), in a temp folder; every node stopped by its PID, never by name.
/// </summary>
public sealed class RedisCluster : IDisposable
{
    private readonly List<Process> _nodes = [];
    private readonly List<int> _ports = [];
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "hashforum-test-cluster", Guid.NewGuid().ToString("N"));

    public string Configuration => string.Join(",", _ports.Select(p => "127.0.0.1:" + p.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Starts the cluster; skips the caller when redis-server is missing (fails with HASHFORUM_REQUIRE_REDIS=1).</summary>
    public static RedisCluster Start()
    {
        if (!IsInstalled("redis-server") || !IsInstalled("redis-cli"))
        {
            const string reason = "redis-server / redis-cli are not installed; the Redis Cluster tests need them.";
            if (Environment.GetEnvironmentVariable("HASHFORUM_REQUIRE_REDIS") == "1")
            {
                Assert.Fail(reason + " HASHFORUM_REQUIRE_REDIS=1, so this is a failure.");
            }

            Assert.Ignore(reason);
        }

        var cluster = new RedisCluster();
        try
        {
            var config = Path.Combine(TestContext.CurrentContext.TestDirectory, "RedisConfigs", "cluster-node.conf");
            for (var i = 0; i < 3; i++)
            {
                var port = FreePort();
                var dir = Path.Combine(cluster._folder, "node" + i.ToString(CultureInfo.InvariantCulture));
                Directory.CreateDirectory(dir);
                var info = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                foreach (var arg in new[] { config, "--port", port.ToString(CultureInfo.InvariantCulture), "--dir", dir, "--cluster-config-file", "nodes.conf" })
                {
                    info.ArgumentList.Add(arg);
                }

                var process = Process.Start(info)!;
                process.OutputDataReceived += (_, _) => { };
                process.ErrorDataReceived += (_, _) => { };
                process.BeginOutputReadLine();
                process.BeginErrorReadLine();
                cluster._nodes.Add(process);
                cluster._ports.Add(port);
                Wait(() => Run("redis-cli", "-p", port.ToString(CultureInfo.InvariantCulture), "ping").Trim() == "PONG", "node answers PING");
            }

            string[] create = ["--cluster", "create", .. cluster._ports.Select(p => "127.0.0.1:" + p.ToString(CultureInfo.InvariantCulture)), "--cluster-replicas", "0", "--cluster-yes"];
            Run("redis-cli", create);
            Wait(() => cluster._ports.All(p => Run("redis-cli", "-p", p.ToString(CultureInfo.InvariantCulture), "cluster", "info")
                .Contains("cluster_state:ok", StringComparison.Ordinal)), "cluster_state:ok");
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var node in _nodes)
        {
            if (!node.HasExited)
            {
                node.Kill();
                node.WaitForExit();
            }

            node.Dispose();
        }

        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static void Wait(Func<bool> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException("Redis Cluster test setup: no " + what + " within 30 s.");
            }

            Thread.Sleep(100);
        }
    }

    private static bool IsInstalled(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, tool)));

    private static string Run(string tool, params string[] args)
    {
        var info = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return stdout.Result + stderr.Result;
    }

    /// <summary>A free loopback port whose cluster bus port (+10000) is free too.</summary>
    private static int FreePort()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(20000, 50000);
            if (IsFree(port) && IsFree(port + 10000))
            {
                return port;
            }
        }

        throw new InvalidOperationException("No free loopback port found.");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
