using System.Globalization;
using HashForum.Storage.Garnet;
using HashForum.Testing;
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

            LocalTools.RequireRedisServer();
            _own = new RedisServerProcess("standalone.conf", Path.Combine(TempDirectory, "redis"), LocalTools.FreePort());
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

    /// <summary>A real 3-master Redis Cluster (HashForum.Testing's, shared with the membership suite).</summary>
    private sealed class ClusterTarget : StoreTarget
    {
        private readonly RedisCluster _cluster = RedisCluster.Start();

        public override string Configuration => _cluster.Configuration;

        public override void Dispose()
        {
            _cluster.Dispose();
            base.Dispose();
        }
    }
}
