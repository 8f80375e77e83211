using System.Diagnostics;
using System.Globalization;

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
        LocalTools.RequireRedisServer();

        var cluster = new RedisCluster();
        try
        {
            var config = Path.Combine(TestContext.CurrentContext.TestDirectory, "RedisConfigs", "cluster-node.conf");
            for (var i = 0; i < 3; i++)
            {
                var port = LocalTools.FreePort(alsoBusPort: true);
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
                Wait(() => LocalTools.Run("redis-cli", "-p", port.ToString(CultureInfo.InvariantCulture), "ping").Trim() == "PONG", "node answers PING");
            }

            string[] create = ["--cluster", "create", .. cluster._ports.Select(p => "127.0.0.1:" + p.ToString(CultureInfo.InvariantCulture)), "--cluster-replicas", "0", "--cluster-yes"];
            LocalTools.Run("redis-cli", create);
            Wait(() => cluster._ports.All(p => LocalTools.Run("redis-cli", "-p", p.ToString(CultureInfo.InvariantCulture), "cluster", "info")
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
}
