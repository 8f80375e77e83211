using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace HashForum.Testing;

/// <summary>Command-line tools and loopback ports for the suites that start real servers.</summary>
public static class LocalTools
{
    public static bool IsInstalled(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, tool)));

    /// <summary>Runs a tool to the end; its standard output, then its standard error.</summary>
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
    /// Skips the calling test when redis-server or redis-cli is missing, with the reason; fails instead when
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

    /// <summary>A free loopback port; with <paramref name="alsoBusPort"/> also port + 10000 (a cluster node's bus).</summary>
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
