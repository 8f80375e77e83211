using System.Diagnostics;
using HashForum.Contracts.V1;
using HashForum.MemberApi.Tests.Infrastructure;

namespace HashForum.MemberApi.Tests;

/// <summary>
/// <c>hashforum export</c> in the formats other tools read, checked against golden files written from those formats'
/// own documentation (see <c>Golden/README.md</c>), not from our output. A server of its own, so the export holds
/// exactly what these tests contribute.
/// </summary>
[TestFixture]
[NonParallelizable]
internal sealed class ExportFormatTests : MemberApiFixture
{
    private static readonly string s_golden = Path.Combine(TestContext.CurrentContext.TestDirectory, "Golden", "threatexchange-local-file.txt");

    private string _md5 = null!;

    [OneTimeSetUp]
    public async Task ContributeTheExamples()
    {
        // python-threatexchange's PDQ examples, as the golden file lists them, and one MD5 record the te format leaves out.
        foreach (var line in File.ReadAllLines(s_golden))
        {
            await Server.Contribute.ContributeAsync(
                new ContributeRequest { Pdq = line.Split(' ')[1], Labels = { "glorification", "attacker-content" } }, TestServer.With(MemberKey));
        }

        _md5 = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        await Server.Contribute.ContributeAsync(new ContributeRequest { Md5 = _md5 }, TestServer.With(MemberKey));
    }

    [Test]
    public void ExportTe_ThreatExchangeExamples_TheLocalFileExchangeGoldenFile()
    {
        var result = Cli.Run(Server.Address, MemberKey, "export", "--format", "te");

        Assert.That(result.Code, Is.Zero, result.Stderr);
        var expected = File.ReadAllText(s_golden);
        Assert.That(result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal),
            Is.EqualTo(expected.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal)));
        Assert.That(result.Stdout, Does.Not.Contain("\r"));
    }

    [Test]
    public void ExportTe_ToFile_ParsesAsTheExchangeReadsIt()
    {
        var folder = TestServer.NewTempFolder();
        var path = Path.Combine(folder, "signals.txt");

        var result = Cli.Run(Server.Address, MemberKey, "export", "--format", "te", "--out", path);
        var lines = File.ReadAllLines(path);
        Directory.Delete(folder, recursive: true);

        Assert.That(result.Code, Is.Zero, result.Stderr);

        // file_api.py: signal_type, _, signal = line.strip().partition(" "); PdqSignal.validate_signal_str: ^[0-9a-f]{64}$.
        var parsed = lines.Select(l => l.Trim()).Where(l => l.Length > 0).Select(l => (Type: l[..l.IndexOf(' ', StringComparison.Ordinal)], Signal: l[(l.IndexOf(' ', StringComparison.Ordinal) + 1)..])).ToList();
        Assert.That(parsed.Select(p => p.Type).Distinct(), Is.EqualTo(new[] { "pdq" }));
        Assert.That(parsed.Select(p => p.Signal), Has.All.Match("^[0-9a-f]{64}$"));
        Assert.That(parsed, Has.Count.EqualTo(16));
    }

    [Test]
    public void ExportTe_Md5Records_LeftOutAndSaidOnStderr()
    {
        var result = Cli.Run(Server.Address, MemberKey, "export", "--format", "te");

        Assert.That(result.Stdout, Does.Not.Contain(_md5));
        Assert.That(result.Stderr, Does.Contain("1 MD5/SHA-256 records left out"));
    }

    [Test]
    public void ExportCsv_ThreatExchangeExamples_DatasetCsvColumnsFirst()
    {
        var result = Cli.Run(Server.Address, MemberKey, "export", "--format", "csv");

        Assert.That(result.Code, Is.Zero, result.Stderr);
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        // threatexchange dataset -P --csv: csv.DictWriter(["collab", "signal_type", "signal_str", "category", "tags"]), tags space-joined.
        Assert.That(lines[0], Does.StartWith("collab,signal_type,signal_str,category,tags,"));
        var examples = File.ReadAllLines(s_golden).Select(l => l.Split(' ')[1]).ToHashSet(StringComparer.Ordinal);
        var pdqRows = lines.Skip(1).Select(l => l.Split(',')).Where(f => f[1] == "pdq").ToList();
        Assert.That(pdqRows.Select(f => f[2]), Is.EquivalentTo(examples));
        Assert.That(pdqRows.Select(f => (f[0], f[3], f[4])), Has.All.EqualTo(("HashForum", "POSITIVE_CLASS", "glorification attacker-content")));
        Assert.That(lines.Skip(1).Any(l => l.Contains($",md5,{_md5},", StringComparison.Ordinal)), Is.True);
    }
}

/// <summary>Runs the CLI as a child process, as a user would.</summary>
internal static class Cli
{
    public static (int Code, string Stdout, string Stderr) Run(string server, string key, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(CliPath());
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["HASHFORUM_SERVER"] = server;
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

    /// <summary>The CLI in its own output folder (run from the test folder it would miss assemblies a console app needs).</summary>
    public static string CliPath()
    {
        var testDir = TestContext.CurrentContext.TestDirectory;
        var root = new DirectoryInfo(testDir);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "HashForum.sln")))
        {
            root = root.Parent;
        }

        var configuration = new DirectoryInfo(testDir).Parent!.Name;
        var path = Path.Combine(root!.FullName, "src", "HashForum.Cli", "bin", configuration, "net10.0", "hashforum.dll");
        Assert.That(File.Exists(path), Is.True, $"the CLI is built at {path}");
        return path;
    }
}
