using System.Diagnostics;
using System.Text.Json;

namespace HashForum.Server.Tests;

/// <summary>
/// <c>hashforum admin</c> as a child process against a real server, configured by HASHFORUM_SERVER and
/// HASHFORUM_KEY: JSON results, and exit codes 3 (unauthenticated) and 4 (permission denied).
/// </summary>
[TestFixture]
[NonParallelizable]
internal sealed class AdminCliTests : BootstrappedServerTests
{
    [Test]
    public void MemberCreateKeyIssueRevoke_Json_OneObjectEachAndTheKeyIsRefusedAfterwards()
    {
        var created = Run(OperatorKey, "admin", "member", "create", "--name", "Cli Member", "--json");
        Assert.That(created.Code, Is.Zero, created.Stderr);
        var memberId = JsonDocument.Parse(created.Stdout).RootElement.GetProperty("id").GetString()!;

        var issued = Run(OperatorKey, "admin", "key", "issue", "--member", memberId, "--scopes", "lookup,contribute", "--json");
        Assert.That(issued.Code, Is.Zero, issued.Stderr);
        var json = JsonDocument.Parse(issued.Stdout).RootElement;
        var keyId = json.GetProperty("id").GetString()!;
        var key = json.GetProperty("key").GetString()!;
        Assert.That(key, Does.StartWith("hfk_").And.Contain(keyId));

        var whoami = Run(key, "admin", "whoami", "--json");
        Assert.That(whoami.Code, Is.Zero, whoami.Stderr);
        Assert.That(JsonDocument.Parse(whoami.Stdout).RootElement.GetProperty("memberId").GetString(), Is.EqualTo(memberId));

        var revoked = Run(OperatorKey, "admin", "key", "revoke", keyId);
        Assert.That(revoked.Code, Is.Zero, revoked.Stderr);

        var after = Run(key, "admin", "whoami");
        Assert.That(after.Code, Is.EqualTo(3), after.Stderr);
        Assert.That(after.Stderr, Does.Contain("Unauthenticated"));
    }

    [Test]
    public void MemberList_Json_OneObjectPerLine()
    {
        Run(OperatorKey, "admin", "member", "create", "--name", "Listed", "--json");

        var listed = Run(OperatorKey, "admin", "member", "list", "--json");

        Assert.That(listed.Code, Is.Zero, listed.Stderr);
        var lines = listed.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.GreaterThanOrEqualTo(2));
        Assert.That(lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()), Does.Contain("operator"));
    }

    [Test]
    public void MemberList_MemberKey_ExitCode4()
    {
        var memberId = JsonDocument.Parse(Run(OperatorKey, "admin", "member", "create", "--name", "No admin", "--json").Stdout)
            .RootElement.GetProperty("id").GetString()!;
        var key = JsonDocument.Parse(Run(OperatorKey, "admin", "key", "issue", "--member", memberId, "--scopes", "lookup", "--json").Stdout)
            .RootElement.GetProperty("key").GetString()!;

        var result = Run(key, "admin", "member", "list");

        Assert.That(result.Code, Is.EqualTo(4), result.Stderr);
        Assert.That(result.Stderr, Does.Contain("PermissionDenied"));
    }

    [Test]
    public void MemberList_MalformedKey_ExitCode3()
    {
        var result = Run("hfk_notakey", "admin", "member", "list");

        Assert.That(result.Code, Is.EqualTo(3), result.Stderr);
    }

    [Test]
    public void KeyIssue_UnknownMember_ExitCode1()
    {
        var result = Run(OperatorKey, "admin", "key", "issue", "--member", "mem_nosuchmember", "--scopes", "lookup");

        Assert.That(result.Code, Is.EqualTo(1), result.Stderr);
        Assert.That(result.Stderr, Does.Contain("NotFound"));
    }

    [Test]
    public void KeyIssue_NoScopes_ExitCode2()
    {
        var result = Run(OperatorKey, "admin", "key", "issue", "--member", "x");

        Assert.That(result.Code, Is.EqualTo(2), result.Stderr);
    }

    /// <summary>The CLI in its own output folder, same configuration as this test assembly (…/bin/CONFIG/TFM).</summary>
    private static string CliPath()
    {
        var testDirectory = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        var framework = testDirectory.Name;
        var configuration = testDirectory.Parent!.Name;
        var root = testDirectory;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "HashForum.sln")))
        {
            root = root.Parent;
        }

        Assert.That(root, Is.Not.Null, "repository root (HashForum.sln) not found above the test folder");
        var cli = Path.Combine(root!.FullName, "src", "HashForum.Cli", "bin", configuration, framework, "hashforum.dll");
        Assert.That(File.Exists(cli), Is.True, $"{cli} is not built");
        return cli;
    }

    private (int Code, string Stdout, string Stderr) Run(string key, params string[] args)
    {
        var cli = CliPath();
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(cli);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["HASHFORUM_SERVER"] = Server.Address;
        info.Environment["HASHFORUM_KEY"] = key;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill();
            Assert.Fail("hashforum did not exit within 60 s.");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
