using System.Diagnostics;
using System.Globalization;
using HashForum.Storage.Garnet;
using StackExchange.Redis;

namespace HashForum.Storage.Tests.Servers;

/// <summary>
/// A server the storage suite runs against: embedded Garnet, a real redis-server, or a real 3-master Redis Cluster.
/// </summary>
internal abstract class StoreTarget : IDisposable
{
    public const string Garnet = "garnet";
    public const string Redis = "redis";
    public const string Cluster = "cluster";

    public static readonly string[] All = [Garnet, Redis, Cluster];

    protected StoreTarget()
    {
        TempDirectory = Path.Combine(Path.GetTempPath(), "hashforum-storage-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(TempDirectory);
    }

    /// <summary>The StackExchange.Redis configuration string of the server.</summary>
    public abstract string Configuration { get; }

    protected string TempDirectory { get; }

    public static StoreTarget Start(string name) => name switch
    {
        Garnet => new GarnetTarget(),
        Redis => new RedisTarget(),
        Cluster => new ClusterTarget(),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown target."),
    };

    /// <summary>Empties the store (between tests), with an admin connection.</summary>
    public void Flush()
    {
        using var admin = ConnectionMultiplexer.Connect(Configuration + ",allowAdmin=true");
        foreach (var server in admin.GetServers())
        {
            if (!server.IsReplica)
            {
                server.FlushDatabase(admin.GetDatabase().Database);
            }
        }
    }

    public virtual void Dispose()
    {
        try
        {
            Directory.Delete(TempDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private sealed class GarnetTarget : StoreTarget
    {
        private readonly EmbeddedGarnetServer _server;

        public GarnetTarget()
        {
            _server = new EmbeddedGarnetServer(TempDirectory, new EmbeddedGarnetOptions { Memory = "256m", Index = "32m", IndexMax = "256m" });
            Configuration = _server.EnsureStarted();
        }

        public override string Configuration { get; }

        public override void Dispose()
        {
            _server.Dispose();
            base.Dispose();
        }
    }

    /// <summary>
    /// HASHFORUM_TEST_REDIS (CI's server) in a database of its own (other suites may share that server), or a
    /// redis-server started here when the variable is unset.
    /// </summary>
    private sealed class RedisTarget : StoreTarget
    {
        private const int TestDatabase = 11;
        private readonly RedisServerProcess? _own;

        public RedisTarget()
        {
            var database = ",defaultDatabase=" + TestDatabase.ToString(CultureInfo.InvariantCulture);
            var shared = Environment.GetEnvironmentVariable("HASHFORUM_TEST_REDIS");
            if (!string.IsNullOrWhiteSpace(shared))
            {
                Configuration = shared + database;
                return;
            }

            Tools.RequireRedisServer();
            _own = new RedisServerProcess("standalone.conf", Path.Combine(TempDirectory, "redis"), RedisServerProcess.FreePort());
            _own.Start();
            Configuration = _own.Endpoint + database;
        }

        public override string Configuration { get; }

        public override void Dispose()
        {
            _own?.Dispose();
            base.Dispose();
        }
    }

    private sealed class ClusterTarget : StoreTarget
    {
        private readonly List<RedisServerProcess> _nodes = [];

        public ClusterTarget()
        {
            Tools.RequireRedisServer();
            try
            {
                for (var i = 0; i < 3; i++)
                {
                    var port = RedisServerProcess.FreePort(alsoBusPort: true);
                    var node = new RedisServerProcess(
                        "cluster-node.conf", Path.Combine(TempDirectory, "node" + i.ToString(CultureInfo.InvariantCulture)), port,
                        "--cluster-config-file", "nodes.conf");
                    _nodes.Add(node);
                    node.Start();
                }

                string[] create = ["--cluster", "create", .. _nodes.Select(n => n.Endpoint), "--cluster-replicas", "0", "--cluster-yes"];
                var output = Tools.Run("redis-cli", create);
                WaitForClusterOk(output);
                Configuration = string.Join(",", _nodes.Select(n => n.Endpoint));
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public override string Configuration { get; } = string.Empty;

        private void WaitForClusterOk(string createOutput)
        {
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                if (_nodes.All(n => Tools.Run("redis-cli", "-p", n.Port.ToString(CultureInfo.InvariantCulture), "cluster", "info")
                        .Contains("cluster_state:ok", StringComparison.Ordinal)))
                {
                    return;
                }

                Thread.Sleep(100);
            }

            throw new TimeoutException("The test cluster did not reach cluster_state:ok. redis-cli said: " + createOutput);
        }

        public override void Dispose()
        {
            foreach (var node in _nodes)
            {
                node.Dispose();
            }

            base.Dispose();
        }
    }
}
