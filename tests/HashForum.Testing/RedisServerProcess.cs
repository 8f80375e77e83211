using System.Diagnostics;
using System.Globalization;

namespace HashForum.Testing;

/// <summary>
/// A redis-server the suite starts itself, on 127.0.0.1 and a free port, with a checked-in config
/// (tests/RedisConfigs) and a temp folder; stopped by PID, never by name. Also the nodes of
/// <see cref="RedisCluster"/>.
/// </summary>
public sealed class RedisServerProcess : IDisposable
{
    private readonly string _configFile;
    private readonly string[] _extraArgs;
    private Process? _process;

    public RedisServerProcess(string configName, string directory, int port, params string[] extraArgs)
    {
        _configFile = Path.Combine(TestContext.CurrentContext.TestDirectory, "RedisConfigs", configName);
        Directory = directory;
        Port = port;
        _extraArgs = extraArgs;
        System.IO.Directory.CreateDirectory(directory);
    }

    public string Directory { get; }

    public int Port { get; }

    public string Endpoint => "127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

    public int? Pid => _process is { HasExited: false } p ? p.Id : null;

    /// <summary>Starts the server and waits until it answers PING.</summary>
    public void Start()
    {
        var info = new ProcessStartInfo("redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(_configFile);
        info.ArgumentList.Add("--port");
        info.ArgumentList.Add(Port.ToString(CultureInfo.InvariantCulture));
        info.ArgumentList.Add("--dir");
        info.ArgumentList.Add(Directory);
        foreach (var arg in _extraArgs)
        {
            info.ArgumentList.Add(arg);
        }

        _process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(20))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited with {_process.ExitCode} at start (port {Port}).");
            }

            if (LocalTools.Run("redis-cli", "-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "ping").Trim() == "PONG")
            {
                return;
            }

            Thread.Sleep(50);
        }

        throw new TimeoutException($"redis-server on port {Port} did not answer PING.");
    }

    /// <summary>kill -9: no shutdown, no final fsync.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            process.WaitForExit();
        }

        _process?.Dispose();
        _process = null;
    }

    public void Dispose() => Kill();
}
