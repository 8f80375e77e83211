using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Garnet;
using HashForum.Storage.Garnet.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HashForum.Storage.Garnet;

/// <summary>
/// Microsoft.Garnet hosted in-process on 127.0.0.1, keeping its data in a folder; the storage code reaches it over
/// RESP like any Redis, so there is one storage code path. Settings that matter (found on this project's machines):
/// <list type="bullet">
/// <item><c>--lua --lua-transaction-mode</c>: without transaction mode scripts are not atomic.</item>
/// <item><c>--device-type RandomAccess</c>: the default native device crashes on Debian 12's glibc.</item>
/// <item><c>--storage-tier --logdir</c>: without tiering, data beyond the memory budget is dropped silently.</item>
/// <item><c>--aof --aof-commit-freq 0 --aof-commit-wait</c>: an acknowledged write is on disk, so it survives a
/// crash; <c>--recover</c> replays it at the next start. A commit frequency above 0 (group commit) together with
/// commit-wait does not work in Garnet 2.2.8: at 5 ms bulk writes got no reply within 60 s, at 2 ms they ran at
/// 109 records/s; manual commits (<c>-1</c>) are refused with commit-wait. Commit-wait is also why bulk writes are
/// slow here (about 2,000 records/s on this project's 2-core machine under load, 440 us of CPU a record, against
/// about 150 us without it, when a record was two keys; 4,760 records/s and 181 us since a record is one bucket
/// entry and one value-index key): a CPU profile shows every <c>redis.call</c> inside a script running as a nested
/// session that waits for its own AOF commit, with the script's keys locked, so larger scripts do not help
/// (1,024 records a script were no faster than 256). Waiting once per script or per bulk call would need every
/// writer in the process to wait for the commit itself (e.g. COMMITAOF before acknowledging) instead of Garnet.</item>
/// </list>
/// Found while chasing "stalls" of bulk runs: FLUSHDB of data that has spilled to the storage tier hangs for good
/// (the session waits in <c>LogAccessor.ShiftBeginAddress</c> for a flush that never completes), so nothing here
/// flushes a database; 100,000 bulk records with commit-wait wrote without a stall. And a script is not a unit in the
/// AOF: after a kill -9 the recovery can replay the first writes of the script that was in flight and not the rest,
/// which is why the store's scripts order their writes so that any prefix is harmless (see StoreScripts).
/// </summary>
internal sealed class EmbeddedGarnetServer : IEmbeddedStoreServer, IDisposable
{
    private readonly Lock _lock = new();
    private readonly string _dataPath;
    private readonly EmbeddedGarnetOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private GarnetServer? _server;
    private string? _configuration;

    public EmbeddedGarnetServer(string dataPath, EmbeddedGarnetOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataPath);
        ArgumentNullException.ThrowIfNull(options);
        _dataPath = Path.GetFullPath(dataPath);
        _options = options;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
    }

    /// <summary>The port the server listens on (0 before start).</summary>
    public int Port { get; private set; }

    public string EnsureStarted()
    {
        lock (_lock)
        {
            if (_configuration is not null)
            {
                return _configuration;
            }

            var logDir = Path.Combine(_dataPath, "log");
            var checkpointDir = Path.Combine(_dataPath, "checkpoints");
            Directory.CreateDirectory(logDir);
            Directory.CreateDirectory(checkpointDir);
            var port = _options.Port != 0 ? _options.Port : FreeLoopbackPort();
            string[] args =
            [
                "--bind", "127.0.0.1",
                "--port", port.ToString(CultureInfo.InvariantCulture),
                "--lua", "--lua-transaction-mode",
                "--device-type", "RandomAccess",
                "--storage-tier", "--logdir", logDir, "--checkpointdir", checkpointDir,
                "--aof", "--aof-commit-freq", "0",
                .. (_options.WaitForCommit ? (string[])["--aof-commit-wait"] : []),
                "--recover",
                "--memory", _options.Memory,
                "--index", _options.Index,
                "--index-max-size", _options.IndexMax,
                "-q",
            ];
            var logger = _loggerFactory.CreateLogger("HashForum.Storage.Garnet");
            GarnetLog.Starting(logger, _dataPath, port);
            var server = new GarnetServer(args, _loggerFactory, cleanupDir: false);
            try
            {
                server.Start();
            }
            catch
            {
                server.Dispose();
                throw;
            }

            _server = server;
            Port = port;
            _configuration = "127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);
            return _configuration;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _server?.Dispose(deleteDir: false);
            _server = null;
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
