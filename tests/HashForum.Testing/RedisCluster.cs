using System.Diagnostics;
using System.Globalization;

namespace HashForum.Testing;

/// <summary>
/// A real 3-master Redis Cluster on 127.0.0.1 (redis-server and redis-cli from the system, the checked-in
/// tests/RedisConfigs/cluster-node.conf), in a temp folder; every node stopped by its PID, never by name.
/// </summary>
public sealed class RedisCluster : IDisposable
{
    private readonly List<RedisServerProcess> _nodes = [];
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "hashforum-test-cluster", Guid.NewGuid().ToString("N"));

    public string Configuration => string.Join(",", _nodes.Select(n => n.Endpoint));

    /// <summary>Starts the cluster; skips the caller when redis-server is missing (fails with HASHFORUM_REQUIRE_REDIS=1).</summary>
    public static RedisCluster Start()
    {
        LocalTools.RequireRedisServer();

        var cluster = new RedisCluster();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var node = new RedisServerProcess(
                    "cluster-node.conf",
                    Path.Combine(cluster._folder, "node" + i.ToString(CultureInfo.InvariantCulture)),
                    LocalTools.FreePort(alsoBusPort: true),
                    "--cluster-config-file",
                    "nodes.conf");
                cluster._nodes.Add(node);
                node.Start();
            }

            string[] create = ["--cluster", "create", .. cluster._nodes.Select(n => n.Endpoint), "--cluster-replicas", "0", "--cluster-yes"];
            LocalTools.Run("redis-cli", create);
            Wait(() => cluster._nodes.All(n => LocalTools.Run("redis-cli", "-p", n.Port.ToString(CultureInfo.InvariantCulture), "cluster", "info")
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
