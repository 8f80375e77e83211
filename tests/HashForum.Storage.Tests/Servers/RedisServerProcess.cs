using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace HashForum.Storage.Tests.Servers;

/// <summary>
/// A redis-server the suite starts itself, on 127.0.0.1 and a free port, with a checked-in config
/// (tests/RedisConfigs) and a temp folder; stopped by PID, never by name.
/// </summary>
internal sealed class RedisServerProcess : IDisposable
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

            if (Tools.Run("redis-cli", "-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "ping").Trim() == "PONG")
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

    /// <summary>A free loopback port; with <paramref name="alsoBusPort"/> also port + 10000 (the cluster bus).</summary>
    public static int FreePort(bool alsoBusPort = false)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(20000, 50000);
            if (IsFree(port) && (!alsoBusPort || IsFree(port + 10000)))
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

/// <summary>Running command-line tools.</summary>
internal static class Tools
{
    public static bool IsInstalled(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, tool)));

    public static string Run(string tool, params string[] args)
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

    /// <summary>
    /// Skips the calling fixture when redis-server is not installed, with the reason; fails instead when
    /// HASHFORUM_REQUIRE_REDIS=1 (CI), where a skipped real-Redis suite would hide a regression.
    /// </summary>
    public static void RequireRedisServer()
    {
        if (IsInstalled("redis-server") && IsInstalled("redis-cli"))
        {
            return;
        }

        const string reason = "redis-server / redis-cli are not installed (apt-get install redis-server redis-tools); the real-Redis suites need them.";
        if (Environment.GetEnvironmentVariable("HASHFORUM_REQUIRE_REDIS") == "1")
        {
            Assert.Fail(reason + " HASHFORUM_REQUIRE_REDIS=1, so this is a failure.");
        }

        Assert.Ignore(reason);
    }
}
