using System.Diagnostics;
using System.Text.Json;
using HashForum.MemberApi.Tests.Infrastructure;

namespace HashForum.MemberApi.Tests;

/// <summary>
/// The member commands as a user runs them: <c>dotnet hashforum.dll ...</c> as a child process against a real
/// server, configured by HASHFORUM_SERVER and HASHFORUM_KEY.
/// </summary>
[TestFixture]
[NonParallelizable]
internal sealed class CliTests : MemberApiFixture
{
    private string _folder = null!;

    [SetUp]
    public void MakeFolder() => _folder = TestServer.NewTempFolder();

    [TearDown]
    public void RemoveFolder() => Directory.Delete(_folder, recursive: true);

    [Test]
    public void ContributeThenLookup_Json_TheImageAndItsMatch()
    {
        var image = Path.Combine(_folder, "upload.png");
        File.WriteAllBytes(image, TestImages.Blocks(seed: 21));

        var contributed = Run(MemberKey, "contribute", image, "--label", "glorification", "--note", "from the cli", "--json");
        Assert.That(contributed.Code, Is.Zero, contributed.Stderr);
        var id = JsonDocument.Parse(contributed.Stdout).RootElement.GetProperty("id").GetInt64();

        JsonElement result = default;
        var found = SpinWait.SpinUntil(() =>
        {
            var lookup = Run(OtherKey, "lookup", image, "--json");
            Assert.That(lookup.Code, Is.Zero, lookup.Stderr);
            result = JsonDocument.Parse(lookup.Stdout).RootElement;
            return result.GetProperty("matches").EnumerateArray().Any(m => m.GetProperty("signal").GetString() == "pdq");
        }, TimeSpan.FromSeconds(10));

        Assert.That(found, Is.True, "the contributed image is found by lookup within 10 s");
        Assert.That(result.GetProperty("file").GetString(), Is.EqualTo(image));
        Assert.That(result.GetProperty("pdq").GetString(), Has.Length.EqualTo(64));
        Assert.That(result.GetProperty("quality").GetInt32(), Is.GreaterThanOrEqualTo(50));
        Assert.That(result.GetProperty("md5").GetString(), Has.Length.EqualTo(32));
        Assert.That(result.GetProperty("sha256").GetString(), Has.Length.EqualTo(64));
        var pdq = result.GetProperty("matches").EnumerateArray().First(m => m.GetProperty("signal").GetString() == "pdq");
        Assert.That(pdq.GetProperty("id").GetInt64(), Is.EqualTo(id));
        Assert.That(pdq.GetProperty("distance").GetInt32(), Is.Zero);
        Assert.That(pdq.GetProperty("variant").GetString(), Is.EqualTo("original"));
        Assert.That(pdq.GetProperty("labels").EnumerateArray().Select(l => l.GetString()), Is.EqualTo(new[] { "glorification" }));
        Assert.That(pdq.GetProperty("member").GetString(), Is.EqualTo(MemberId));
        Assert.That(pdq.GetProperty("value").GetString(), Is.EqualTo(result.GetProperty("pdq").GetString()));
    }

    [Test]
    public void Lookup_HashWithMaxDistance_WidensAndNarrows()
    {
        var hash = RandomHash();
        var near = Flip(hash, 12).ToString();
        var contributed = Run(MemberKey, "contribute", "--hash", hash.ToString(), "--json");
        Assert.That(contributed.Code, Is.Zero, contributed.Stderr);
        Assert.That(SpinWait.SpinUntil(() => Matches(Run(OtherKey, "lookup", "--hash", hash.ToString(), "--json")) == 1, TimeSpan.FromSeconds(10)), Is.True);

        var narrow = Run(OtherKey, "lookup", "--hash", near, "--max-distance", "8", "--json");
        var wide = Run(OtherKey, "lookup", "--hash", near, "--max-distance", "12", "--json");

        Assert.That(Matches(narrow), Is.Zero);
        Assert.That(Matches(wide), Is.EqualTo(1));
        var match = JsonDocument.Parse(wide.Stdout).RootElement.GetProperty("matches")[0];
        Assert.That(match.GetProperty("distance").GetInt32(), Is.EqualTo(12));
        Assert.That(JsonDocument.Parse(wide.Stdout).RootElement.GetProperty("pdq").GetString(), Is.EqualTo(near));
    }

    [Test]
    public void Lookup_RotatedImageWithDihedral_MatchThroughAVariant()
    {
        var original = Path.Combine(_folder, "original.png");
        var rotated = Path.Combine(_folder, "rotated.png");
        File.WriteAllBytes(original, TestImages.Blocks(seed: 22));
        File.WriteAllBytes(rotated, TestImages.Blocks(seed: 22, rotateDegrees: 180));
        Assert.That(Run(MemberKey, "contribute", original).Code, Is.Zero);

        JsonElement match = default;
        var found = SpinWait.SpinUntil(() =>
        {
            var lookup = Run(OtherKey, "lookup", rotated, "--dihedral", "--max-distance", "56", "--json");
            var matches = JsonDocument.Parse(lookup.Stdout).RootElement.GetProperty("matches").EnumerateArray()
                .Where(m => m.GetProperty("signal").GetString() == "pdq").ToList();
            match = matches.FirstOrDefault();
            return matches.Count > 0;
        }, TimeSpan.FromSeconds(10));

        Assert.That(found, Is.True);
        Assert.That(match.GetProperty("variant").GetString(), Is.EqualTo("rot180"));
    }

    [Test]
    public void Lookup_Text_OneLinePerInput()
    {
        var result = Run(OtherKey, "lookup", "--hash", RandomHash().ToString(), "--hash", RandomHash().ToString());

        Assert.That(result.Code, Is.Zero, result.Stderr);
        Assert.That(result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(2).And.All.EndsWith("0 matches"));
    }

    [Test]
    public void Lookup_MissingFileAmongOthers_ExitCode1AndTheRestAnswered()
    {
        var image = Path.Combine(_folder, "ok.png");
        File.WriteAllBytes(image, TestImages.Blocks(seed: 23));

        var result = Run(OtherKey, "lookup", Path.Combine(_folder, "missing.png"), image, "--json");

        Assert.That(result.Code, Is.EqualTo(1));
        Assert.That(result.Stderr, Does.Contain("missing.png: no such file"));
        Assert.That(result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(1));
    }

    [Test]
    public void Lookup_MalformedHash_ExitCode1NamingTheField()
    {
        var result = Run(OtherKey, "lookup", "--hash", "xyz");

        Assert.That(result.Code, Is.EqualTo(1));
        Assert.That(result.Stderr, Does.Contain("InvalidArgument: queries[0].pdq: "));
    }

    [Test]
    public void Contribute_FlatImage_FailedPreconditionExitCode1()
    {
        var flat = Path.Combine(_folder, "flat.png");
        File.WriteAllBytes(flat, TestImages.Flat());

        var result = Run(MemberKey, "contribute", flat);

        Assert.That(result.Code, Is.EqualTo(1));
        Assert.That(result.Stderr, Does.Contain("FailedPrecondition: PDQ quality 0 is under 50"));
    }

    [Test]
    public void Contribute_NoKey_UsageExitCode2()
    {
        var result = Run(string.Empty, "contribute", "--hash", RandomHash().ToString());

        Assert.That(result.Code, Is.EqualTo(2));
        Assert.That(result.Stderr, Does.Contain("HASHFORUM_KEY"));
    }

    [Test]
    public void Lookup_BadKey_ExitCode3()
    {
        var result = Run("hfk_notakey", "lookup", "--hash", RandomHash().ToString());

        Assert.That(result.Code, Is.EqualTo(3));
    }

    [Test]
    public void RetractAndFeedback_OwnRecord_StatusAndTallies()
    {
        var id = JsonDocument.Parse(Run(MemberKey, "contribute", "--hash", RandomHash().ToString(), "--json").Stdout).RootElement.GetProperty("id").GetInt64();

        var feedback = Run(OtherKey, "feedback", id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--disagree", "--json");
        var someoneElse = Run(OtherKey, "retract", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var retract = Run(MemberKey, "retract", id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json");

        Assert.That(feedback.Code, Is.Zero, feedback.Stderr);
        Assert.That(JsonDocument.Parse(feedback.Stdout).RootElement.GetProperty("disagree").GetInt32(), Is.EqualTo(1));
        Assert.That(someoneElse.Code, Is.EqualTo(4), someoneElse.Stderr);
        Assert.That(retract.Code, Is.Zero, retract.Stderr);
        Assert.That(JsonDocument.Parse(retract.Stdout).RootElement.GetProperty("status").GetString(), Is.EqualTo("retracted"));
    }

    [Test]
    public void SyncThenExport_MirrorAppliesRetractionsAndResumes()
    {
        var mirror = Path.Combine(_folder, "mirror.csv");
        var keep = RandomHash().ToString();
        var drop = RandomHash().ToString();
        Run(MemberKey, "contribute", "--hash", keep, "--label", "glorification");
        var dropId = JsonDocument.Parse(Run(MemberKey, "contribute", "--hash", drop, "--json").Stdout).RootElement.GetProperty("id").GetInt64();

        var first = Run(MemberKey, "sync", "--out", mirror, "--json");
        Assert.That(first.Code, Is.Zero, first.Stderr);
        Assert.That(File.ReadAllText(mirror), Does.Contain(keep).And.Contain(drop));
        Run(MemberKey, "retract", dropId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var second = Run(MemberKey, "sync", "--out", mirror, "--json");

        Assert.That(second.Code, Is.Zero, second.Stderr);
        Assert.That(JsonDocument.Parse(second.Stdout).RootElement.GetProperty("removed").GetInt32(), Is.GreaterThanOrEqualTo(1));
        var text = File.ReadAllText(mirror);
        Assert.That(text, Does.StartWith("collab,signal_type,signal_str,category,tags"));
        Assert.That(text, Does.Contain($"HashForum,pdq,{keep},POSITIVE_CLASS,glorification,"));
        Assert.That(text, Does.Not.Contain(drop));
        var export = Run(MemberKey, "export", "--format", "csv");
        Assert.That(export.Code, Is.Zero, export.Stderr);
        Assert.That(export.Stdout, Does.Contain(keep).And.Not.Contain(drop));
    }

    [Test]
    public async Task SyncFollowSeconds_ChangesWhileFollowing_AppliedThenStopsWithSummary()
    {
        var mirror = Path.Combine(_folder, "followed.csv");
        var drop = RandomHash().ToString();
        var dropId = (await Server.Contribute.ContributeAsync(new HashForum.Contracts.V1.ContributeRequest { Pdq = drop }, TestServer.With(MemberKey))).Records[0].Id;
        using var follower = Start(MemberKey, "sync", "--out", mirror, "--follow-seconds", "15", "--json");
        await WaitForMirrorAsync(mirror, text => text.Contains(drop, StringComparison.Ordinal), "the snapshot is in the mirror", follower);

        var add = RandomHash().ToString();
        await Server.Contribute.ContributeAsync(new HashForum.Contracts.V1.ContributeRequest { Pdq = add, Labels = { "glorification" } }, TestServer.With(OtherKey));
        await Server.Contribute.RetractAsync(new HashForum.Contracts.V1.RetractRequest { Id = dropId }, TestServer.With(MemberKey));
        await WaitForMirrorAsync(
            mirror, text => text.Contains(add, StringComparison.Ordinal) && !text.Contains(drop, StringComparison.Ordinal),
            "the contribution and the retraction are applied while following", follower);
        var (code, stdout, stderr) = await follower.FinishAsync(TimeSpan.FromSeconds(45));

        Assert.That(code, Is.Zero, stderr);
        var summary = JsonDocument.Parse(stdout).RootElement;
        Assert.That(summary.GetProperty("removed").GetInt32(), Is.GreaterThanOrEqualTo(1));
        Assert.That(summary.GetProperty("records").GetInt32(), Is.EqualTo(File.ReadAllLines(mirror).Length - 1));
        Assert.That(File.ReadAllText(mirror + ".cursor").Trim(), Is.EqualTo(summary.GetProperty("cursor").GetString()));
        Assert.That(File.ReadAllText(mirror), Does.Contain($"HashForum,pdq,{add},POSITIVE_CLASS,glorification,"));
    }

    [Test]
    public async Task SyncFollow_Interrupted_StopsCleanlyWithSummary()
    {
        var mirror = Path.Combine(_folder, "interrupted.csv");
        using var follower = Start(MemberKey, "sync", "--out", mirror, "--follow", "--json");
        await WaitForMirrorAsync(mirror, _ => File.Exists(mirror + ".cursor"), "the first snapshot is saved", follower);
        var add = RandomHash().ToString();
        await Server.Contribute.ContributeAsync(new HashForum.Contracts.V1.ContributeRequest { Pdq = add }, TestServer.With(MemberKey));
        await WaitForMirrorAsync(mirror, text => text.Contains(add, StringComparison.Ordinal), "the contribution is applied while following", follower);

        follower.Interrupt();
        var (code, stdout, stderr) = await follower.FinishAsync(TimeSpan.FromSeconds(30));

        Assert.That(code, Is.Zero, stderr);
        Assert.That(JsonDocument.Parse(stdout).RootElement.GetProperty("added").GetInt32(), Is.GreaterThanOrEqualTo(1));
        Assert.That(File.ReadAllText(mirror), Does.Contain(add));
    }

    [Test]
    public void SyncFollowSeconds_NotANumber_UsageExitCode2()
    {
        var result = Run(MemberKey, "sync", "--out", Path.Combine(_folder, "x.csv"), "--follow-seconds", "soon");

        Assert.That(result.Code, Is.EqualTo(2), result.Stderr);
        Assert.That(result.Stderr, Does.Contain("--follow-seconds"));
    }

    /// <summary>Polls the mirror file (written by rename, so always whole) until <paramref name="condition"/> holds; 30 s at most.</summary>
    private static async Task WaitForMirrorAsync(string path, Func<string, bool> condition, string what, CliProcess process)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (File.Exists(path) && condition(await File.ReadAllTextAsync(path)))
            {
                return;
            }

            if (process.HasExited)
            {
                var (code, stdout, stderr) = await process.FinishAsync(TimeSpan.FromSeconds(5));
                Assert.Fail($"hashforum sync exited ({code}) before {what}: {stdout} {stderr}");
            }

            await Task.Delay(50);
        }

        Assert.Fail($"Not within 30 s: {what}.");
    }

    [Test]
    public void Import_CsvOfHashes_ContributedAndIdempotent()
    {
        var csv = Path.Combine(_folder, "hashes.csv");
        var hashes = Enumerable.Range(0, 500).Select(_ => RandomHash().ToString()).ToList();
        File.WriteAllLines(csv, ["collab,signal_type,signal_str,category,tags", .. hashes.Select(h => $"x,pdq,{h},POSITIVE_CLASS,graphic-violence")]);

        var first = Run(MemberKey, "import", csv, "--batch", "100", "--json");
        var again = Run(MemberKey, "import", csv, "--restart", "--json");

        Assert.That(first.Code, Is.Zero, first.Stderr);
        Assert.That(JsonDocument.Parse(first.Stdout).RootElement.GetProperty("created").GetInt32(), Is.EqualTo(500));
        Assert.That(again.Code, Is.Zero, again.Stderr);
        Assert.That(JsonDocument.Parse(again.Stdout).RootElement.GetProperty("existing").GetInt32(), Is.EqualTo(500));
        Assert.That(SpinWait.SpinUntil(() => Matches(Run(OtherKey, "lookup", "--hash", hashes[^1], "--json")) == 1, TimeSpan.FromSeconds(10)), Is.True);
    }

    private static string CliPath() => Cli.CliPath();

    [TestCase("unary")]
    [TestCase("batch")]
    public void BenchLookup_Json_TheDocumentedKeys(string mode)
    {
        var result = Run(MemberKey, "bench", "lookup", "--server", Server.Address, "--key", MemberKey, "--mode", mode,
            "--seconds", "1", "--concurrency", "2", "--batch-size", "50", "--json");

        Assert.That(result.Code, Is.Zero, result.Stderr);
        var json = JsonDocument.Parse(result.Stdout).RootElement;
        Assert.That(json.GetProperty("mode").GetString(), Is.EqualTo(mode));
        foreach (var key in new[] { "rate_per_s", "p50_ms", "p99_ms", "ceiling_rate_per_s" })
        {
            Assert.That(json.GetProperty(key).GetDouble(), Is.Positive, key);
        }
    }

    private static int Matches((int Code, string Stdout, string Stderr) result) =>
        result.Code == 0 ? JsonDocument.Parse(result.Stdout).RootElement.GetProperty("matches").GetArrayLength() : -1;

    /// <summary>Starts the CLI without waiting for it (for commands that keep running, like sync --follow).</summary>
    private CliProcess Start(string key, params string[] args) => new(Process.Start(StartInfo(key, args))!);

    private ProcessStartInfo StartInfo(string key, string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(CliPath());
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["HASHFORUM_SERVER"] = Server.Address;
        info.Environment["HASHFORUM_KEY"] = key;
        return info;
    }

    private (int Code, string Stdout, string Stderr) Run(string key, params string[] args)
    {
        using var process = Process.Start(StartInfo(key, args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill();
            Assert.Fail("hashforum did not exit within 60 s.");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>A running CLI process: its output is read as it comes, and it is killed if a test leaves it running.</summary>
    private sealed class CliProcess : IDisposable
    {
        private readonly Process _process;
        private readonly Task<string> _stdout;
        private readonly Task<string> _stderr;

        public CliProcess(Process process)
        {
            _process = process;
            _stdout = process.StandardOutput.ReadToEndAsync();
            _stderr = process.StandardError.ReadToEndAsync();
        }

        public bool HasExited => _process.HasExited;

        /// <summary>Ctrl-C: SIGINT to this process only.</summary>
        public void Interrupt()
        {
            using var kill = Process.Start("kill", ["-INT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
        }

        public async Task<(int Code, string Stdout, string Stderr)> FinishAsync(TimeSpan within)
        {
            using var timeout = new CancellationTokenSource(within);
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"hashforum did not exit within {within.TotalSeconds} s.");
            }

            return (_process.ExitCode, await _stdout, await _stderr);
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit();
            }

            _process.Dispose();
        }
    }
}
