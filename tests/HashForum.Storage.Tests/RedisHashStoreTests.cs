using System.Diagnostics;
using System.Globalization;
using HashForum.Storage.Internal;
using HashForum.Storage.Tests.Servers;
using HashForum.Testing;
using Microsoft.Extensions.Logging;

namespace HashForum.Storage.Tests;

/// <summary>
/// The storage suite, run three times: embedded Garnet, a real redis-server and a real 3-master Redis Cluster.
/// No timing assertions: rates and delays are printed to the test output.
/// </summary>
[TestFixtureSource(typeof(StoreTarget), nameof(StoreTarget.All))]
public sealed class RedisHashStoreTests(string targetName)
{
    private StoreTarget _target = null!;
    private StoreConnection _connection = null!;
    private RedisHashStore _store = null!;
    private HashForumStoreOptions _options = null!;

    [OneTimeSetUp]
    public void StartServer() => _target = StoreTarget.Start(targetName);

    [OneTimeTearDown]
    public void StopServer() => _target?.Dispose();

    [SetUp]
    public void Connect()
    {
        _target.Flush();
        _options = Options();
        _connection = StoreConnection.Connect(_options, embedded: null);
        _store = new RedisHashStore(_connection, _options);
    }

    [TearDown]
    public void Disconnect() => _connection?.Dispose();

    private HashForumStoreOptions Options(int changeLogLength = 100_000) => new()
    {
        Redis = _target.Configuration,
        Partitions = 8,
        ChangeLogLength = changeLogLength,
        PollInterval = TimeSpan.FromMilliseconds(200),

        // Generous: the suite shares two cores with other suites, and embedded Garnet commits (fsync) per script.
        OperationTimeout = TimeSpan.FromSeconds(30),
    };

    private static string Pdq(int i) => i.ToString("x64", CultureInfo.InvariantCulture);

    private static Contribution PdqContribution(int i, string member = "member-a") => new()
    {
        Signal = SignalType.Pdq,
        Value = Pdq(i),
        Member = member,
        Quality = 90,
        Labels = ["propaganda"],
    };

    [Test]
    public async Task GetPartitionsAsync_StoreOfAnEarlierLayout_IsRefusedWithWhatToDo()
    {
        var db = _connection.Multiplexer.GetDatabase();
        await db.StringSetAsync(StoreKeys.PartitionsKey, 8); // what a build from before record buckets left: no layout

        var ex = await Assert.ThrowsAsync<StoreLayoutException>(() => _store.GetPartitionsAsync());
        var fresh = new RedisHashStore(_connection, _options);
        await db.KeyDeleteAsync(StoreKeys.PartitionsKey);
        var partitions = await fresh.GetPartitionsAsync();

        Assert.That(ex!.Message, Does.Contain("earlier HashForum build").And.Contain("hashforum import"));
        Assert.That(partitions, Is.EqualTo(8));
        Assert.That((string?)await db.StringGetAsync(StoreKeys.LayoutKey), Is.EqualTo(StoreKeys.Layout), "a new store records its layout");
    }

    [Test]
    public async Task ContributeAsync_NewPdq_CreatesActiveRecordWithEveryField()
    {
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);

        var result = await _store.ContributeAsync(new Contribution
        {
            Signal = SignalType.Pdq,
            Value = Pdq(7).ToUpperInvariant(),
            Member = "member-a",
            Quality = 87,
            Labels = ["logo", "video-still"],
            Note = "from a known channel",
            Reference = "incident-42",
        });

        Assert.That(result.Created, Is.True);
        var record = await _store.GetAsync(result.Record.Id);
        Assert.That(record, Is.Not.Null);
        Assert.Multiple(() =>
        {
            Assert.That(record!.Id, Is.EqualTo(result.Record.Id));
            Assert.That(record.Signal, Is.EqualTo(SignalType.Pdq));
            Assert.That(record.Value, Is.EqualTo(Pdq(7)));
            Assert.That(record.Quality, Is.EqualTo(87));
            Assert.That(record.Labels, Is.EqualTo(new[] { "logo", "video-still" }));
            Assert.That(record.Note, Is.EqualTo("from a known channel"));
            Assert.That(record.Reference, Is.EqualTo("incident-42"));
            Assert.That(record.Member, Is.EqualTo("member-a"));
            Assert.That(record.Status, Is.EqualTo(RecordStatus.Active));
            Assert.That(record.CreatedAt, Is.GreaterThan(before));
            Assert.That(record.UpdatedAt, Is.EqualTo(record.CreatedAt));
            Assert.That(record.PositiveFeedback + record.NegativeFeedback, Is.Zero);
            Assert.That(record.RetractedBy, Is.Null);
        });
    }

    [Test]
    public async Task ContributeAsync_SameSignalValueAndMember_ReturnsExistingRecord()
    {
        var first = await _store.ContributeAsync(PdqContribution(1));

        var second = await _store.ContributeAsync(PdqContribution(1) with { Note = "again" });

        Assert.That(second.Created, Is.False);
        Assert.That(second.Record.Id, Is.EqualTo(first.Record.Id));
        Assert.That(second.Record.Note, Is.Null);
        var head = await _store.GetHeadAsync();
        var changes = await _store.ReadChangesAsync(StoreCursor.Start(head.Partitions));
        Assert.That(changes.Entries, Has.Count.EqualTo(1), "only the first contribution is a change");
    }

    [Test]
    public async Task ContributeAsync_SameValueOtherMember_CreatesSecondRecordFoundByValue()
    {
        var a = await _store.ContributeAsync(PdqContribution(3, "member-a"));
        var b = await _store.ContributeAsync(PdqContribution(3, "member-b"));

        var found = await _store.FindByValueAsync(SignalType.Pdq, Pdq(3));

        Assert.That(b.Created, Is.True);
        Assert.That(found.Select(r => r.Id), Is.EquivalentTo(new[] { a.Record.Id, b.Record.Id }));
        Assert.That(found.Select(r => r.Member), Is.EquivalentTo(new[] { "member-a", "member-b" }));
    }

    [Test]
    public async Task FindByValueAsync_ExactSignals_FindsByValueAndNothingForUnknown()
    {
        var md5 = new string('a', 32);
        var sha = new string('B', 64);
        await _store.ContributeAsync(new Contribution { Signal = SignalType.Md5, Value = md5, Member = "m" });
        await _store.ContributeAsync(new Contribution { Signal = SignalType.Sha256, Value = sha, Member = "m" });

        var byMd5 = await _store.FindByValueAsync(SignalType.Md5, md5.ToUpperInvariant());
        var bySha = await _store.FindByValueAsync(SignalType.Sha256, sha);
        var unknown = await _store.FindByValueAsync(SignalType.Sha256, new string('c', 64));
        var md5AsSha = await _store.FindByValueAsync(SignalType.Md5, new string('b', 32));

        Assert.That(byMd5.Single().Value, Is.EqualTo(md5));
        Assert.That(bySha.Single().Value, Is.EqualTo(sha.ToLowerInvariant()));
        Assert.That(unknown, Is.Empty);
        Assert.That(md5AsSha, Is.Empty);
    }

    [Test]
    public async Task RetractAsync_ExactSignals_LogEntriesNameTheValueOfEachLength()
    {
        var md5 = "0123456789abcdef0f1e2d3c4b5a6978";
        var sha = "ff" + new string('0', 60) + "01";
        var a = (await _store.ContributeAsync(new Contribution { Signal = SignalType.Md5, Value = md5, Member = "m" })).Record;
        var b = (await _store.ContributeAsync(new Contribution { Signal = SignalType.Sha256, Value = sha, Member = "m" })).Record;

        await _store.RetractAsync(a.Id, "m");
        await _store.RetractAsync(b.Id, "m");

        var retractions = (await _store.ReadChangesAsync(StoreCursor.Start(8))).Entries.Where(e => e.Kind == ChangeKind.Retracted);
        Assert.That(
            retractions.Select(e => (e.RecordId, e.Signal, e.Value)).OrderBy(e => e.RecordId == a.Id ? 0 : 1),
            Is.EqualTo(new[] { (a.Id, SignalType.Md5, md5), (b.Id, SignalType.Sha256, sha) }));
    }

    [Test]
    public async Task ContributeAsync_MalformedValue_ThrowsArgumentExceptionSayingWhatIsWrong()
    {
        var ex = await Assert.ThrowsAsync<ArgumentException>(() =>
            _store.ContributeAsync(new Contribution { Signal = SignalType.Pdq, Value = "abc", Member = "m" }));
        Assert.That(ex!.Message, Does.Contain("64 hex digits"));
    }

    [Test]
    public async Task RetractAsync_ActiveRecord_RetractsOnceAndLogsOnce()
    {
        var added = await _store.ContributeAsync(PdqContribution(5));

        var retracted = await _store.RetractAsync(added.Record.Id, "member-a");
        var again = await _store.RetractAsync(added.Record.Id, "member-b");
        var missing = await _store.RetractAsync(RecordIds.Compose(999_999, 1), "member-a");

        Assert.That(retracted!.Status, Is.EqualTo(RecordStatus.Retracted));
        Assert.That(retracted.RetractedBy, Is.EqualTo("member-a"));
        Assert.That(retracted.RetractedAt, Is.Not.Null);
        Assert.That(again!.RetractedBy, Is.EqualTo("member-a"), "a second retraction changes nothing");
        Assert.That(missing, Is.Null);
        var changes = await _store.ReadChangesAsync(StoreCursor.Start(8));
        Assert.That(changes.Entries.Select(e => e.Kind), Is.EqualTo(new[] { ChangeKind.Added, ChangeKind.Retracted }));
        var loaded = new MemorySink();
        await _store.LoadActiveAsync(loaded);
        Assert.That(loaded.Count, Is.Zero, "a retracted record is not loaded");
    }

    [Test]
    public async Task RecordLifecycle_FreeTextWithSeparators_EveryFieldSurvivesRelabelFeedbackAndRetraction()
    {
        // Note and reference are free text: tabs, newlines, pipes and non-ASCII must not shift the fields around them
        // (a record's creation data is one packed value, the note split off by its length).
        const string note = "tab\there\nnew line | pipe \u00fc \u65e5\u672c\t";
        const string reference = "\tref|2\n";
        var added = (await _store.ContributeAsync(PdqContribution(13, "member-\u00e9") with
        {
            Quality = 55,
            Labels = ["a", "b"],
            Note = note,
            Reference = reference,
        })).Record;

        var relabeled = await _store.RelabelAsync(added.Id, ["c"]);
        var fedBack = await _store.SetFeedbackAsync(added.Id, "member-b", FeedbackOpinion.Negative);
        var retracted = await _store.RetractAsync(added.Id, "member-\u00e9");
        var relabeledBack = await _store.RelabelAsync(added.Id, ["a", "b"]);
        var found = await _store.FindByValueAsync(SignalType.Pdq, Pdq(13));

        Assert.Multiple(() =>
        {
            Assert.That((added.Note, added.Reference, added.Member, added.Quality), Is.EqualTo((note, reference, "member-\u00e9", (int?)55)));
            Assert.That(added.Labels, Is.EqualTo(new[] { "a", "b" }));
            Assert.That(relabeled!.Labels, Is.EqualTo(new[] { "c" }));
            Assert.That(fedBack!.NegativeFeedback, Is.EqualTo(1));
            Assert.That(retracted!.Status, Is.EqualTo(RecordStatus.Retracted));
            Assert.That(relabeledBack!.Labels, Is.EqualTo(new[] { "a", "b" }), "a retracted record can still be relabelled");
            Assert.That(found, Has.Count.EqualTo(1));
        });
        var last = found[0];
        Assert.Multiple(() =>
        {
            Assert.That((last.Note, last.Reference, last.Member, last.Quality), Is.EqualTo((note, reference, "member-\u00e9", (int?)55)));
            Assert.That((last.Value, last.Status, last.RetractedBy, last.NegativeFeedback), Is.EqualTo((Pdq(13), RecordStatus.Retracted, "member-\u00e9", 1)));
            Assert.That(last.CreatedAt, Is.EqualTo(added.CreatedAt));
        });
        var changes = await _store.ReadChangesAsync(StoreCursor.Start(8));
        Assert.That(
            changes.Entries.Select(e => (e.Kind, e.RecordId, e.Signal, e.Value)),
            Is.EqualTo(new[] { ChangeKind.Added, ChangeKind.Relabeled, ChangeKind.Feedback, ChangeKind.Retracted, ChangeKind.Relabeled }
                .Select(kind => (kind, added.Id, SignalType.Pdq, Pdq(13)))),
            "every entry names the record's signal and value, read back from its packed data");
        Assert.That(changes.Entries.Select(e => e.Sequence), Is.Ordered.Ascending);
        var loaded = new MemorySink();
        await _store.LoadActiveAsync(loaded);
        Assert.That(loaded.Count, Is.Zero, "a retracted record is not loaded");
    }

    [Test]
    public async Task SetFeedbackAsync_OpinionsOfSeveralMembers_KeepsOneOpinionPerMember()
    {
        var id = (await _store.ContributeAsync(PdqContribution(9))).Record.Id;

        await _store.SetFeedbackAsync(id, "member-b", FeedbackOpinion.Positive);
        await _store.SetFeedbackAsync(id, "member-c", FeedbackOpinion.Positive);
        await _store.SetFeedbackAsync(id, "member-c", FeedbackOpinion.Positive);
        await _store.SetFeedbackAsync(id, "member-d", FeedbackOpinion.Negative);
        var afterChange = await _store.SetFeedbackAsync(id, "member-b", FeedbackOpinion.Negative);
        var afterClear = await _store.SetFeedbackAsync(id, "member-d", FeedbackOpinion.None);

        Assert.That((afterChange!.PositiveFeedback, afterChange.NegativeFeedback), Is.EqualTo((1, 2)));
        Assert.That((afterClear!.PositiveFeedback, afterClear.NegativeFeedback), Is.EqualTo((1, 1)));
        var changes = await _store.ReadChangesAsync(StoreCursor.Start(8));
        Assert.That(changes.Entries.Count(e => e.Kind == ChangeKind.Feedback), Is.EqualTo(5), "the repeated opinion is not a change");
    }

    [Test]
    public async Task RelabelAsync_NewLabels_ReplacesLabelsAndLogsChange()
    {
        var id = (await _store.ContributeAsync(PdqContribution(11))).Record.Id;

        var relabeled = await _store.RelabelAsync(id, ["beheading", "logo"]);
        await _store.RelabelAsync(id, ["beheading", "logo"]);

        Assert.That(relabeled!.Labels, Is.EqualTo(new[] { "beheading", "logo" }));
        Assert.That(relabeled.UpdatedAt, Is.GreaterThanOrEqualTo(relabeled.CreatedAt));
        var changes = await _store.ReadChangesAsync(StoreCursor.Start(8));
        Assert.That(changes.Entries.Count(e => e.Kind == ChangeKind.Relabeled), Is.EqualTo(1));
    }

    [Test]
    public async Task ReadChangesAsync_ManyMutations_ReturnsEachOnceInSequenceOrderPerPartition()
    {
        var ids = new List<long>();
        for (var i = 0; i < 200; i++)
        {
            ids.Add((await _store.ContributeAsync(PdqContribution(1000 + i))).Record.Id);
        }

        foreach (var id in ids.Take(50))
        {
            await _store.RetractAsync(id, "member-a");
        }

        var all = new List<ChangeEntry>();
        var cursor = StoreCursor.Start(8);
        ChangeBatch batch;
        do
        {
            batch = await _store.ReadChangesAsync(cursor, maxPerPartition: 7);
            Assert.That(batch.ReloadRequired, Is.False);
            all.AddRange(batch.Entries);
            cursor = batch.Cursor;
        }
        while (batch.More || batch.Entries.Count > 0);

        Assert.That(all, Has.Count.EqualTo(250));
        foreach (var partition in all.GroupBy(e => e.Partition))
        {
            Assert.That(partition.Select(e => e.Sequence), Is.EqualTo(Enumerable.Range(1, partition.Count()).Select(i => (long)i)));
        }

        Assert.That(cursor, Is.EqualTo(await _store.GetHeadAsync()));
        Assert.That(StoreCursor.Parse(cursor.ToString()), Is.EqualTo(cursor));
    }

    [Test]
    public async Task ReadChangesAsync_CursorBehindTrimmedLog_RequiresReload()
    {
        _connection.Dispose();
        _options = Options(changeLogLength: 3);
        _connection = StoreConnection.Connect(_options, embedded: null);
        _store = new RedisHashStore(_connection, _options);
        // Two bulk writes: a bulk write's entries are one log member per partition and batch, which trimming keeps
        // whole (the member just written always stays); the second write's members push the first one's out.
        await _store.ContributeManyAsync([.. Enumerable.Range(0, 200).Select(i => PdqContribution(i))]);
        await _store.ContributeManyAsync([.. Enumerable.Range(200, 200).Select(i => PdqContribution(i))]);

        var fromStart = await _store.ReadChangesAsync(StoreCursor.Start(8));
        var fromHead = await _store.ReadChangesAsync(await _store.GetHeadAsync());

        Assert.That(fromStart.ReloadRequired, Is.True);
        Assert.That(fromHead.ReloadRequired, Is.False);
        Assert.That(fromHead.Entries, Is.Empty);
    }

    [Test]
    public async Task ContributeAsync_SameContributionRacing_CreatesExactlyOneRecord()
    {
        // Atomicity of the check-and-write script (Garnet needs --lua-transaction-mode for this).
        using var second = StoreConnection.Connect(_options, embedded: null);
        var otherStore = new RedisHashStore(second, _options);

        var results = await Task.WhenAll(Enumerable.Range(0, 64).Select(i =>
            (i % 2 == 0 ? _store : otherStore).ContributeAsync(PdqContribution(77))));

        Assert.That(results.Count(r => r.Created), Is.EqualTo(1));
        Assert.That(results.Select(r => r.Record.Id).Distinct().Count(), Is.EqualTo(1));
        Assert.That(await _store.FindByValueAsync(SignalType.Pdq, Pdq(77)), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task ContributeManyAsync_20000Records_LoadActiveAsyncReturnsEachOnce()
    {
        const int count = 20_000;
        var contributions = Enumerable.Range(0, count).Select(i => PdqContribution(i)).ToList();
        contributions.Add(PdqContribution(5)); // a duplicate within the batch

        var write = Stopwatch.StartNew();
        var results = await _store.ContributeManyAsync(contributions);
        write.Stop();
        var again = await _store.ContributeManyAsync(contributions.Take(100).ToList());
        var sink = new MemorySink();
        var load = Stopwatch.StartNew();
        var cursor = await _store.LoadActiveAsync(sink);
        load.Stop();

        Assert.That(results.Take(count).Count(r => r.Created), Is.EqualTo(count));
        Assert.That(results[^1], Is.EqualTo(results[5] with { Created = false }));
        Assert.That(again.Any(r => r.Created), Is.False);
        Assert.That(results.Take(count).Select(r => r.Id).Distinct().Count(), Is.EqualTo(count));
        Assert.That(sink.Count, Is.EqualTo(count));
        Assert.That(cursor, Is.EqualTo(await _store.GetHeadAsync()));
        await TestContext.Out.WriteLineAsync(
            $"[{targetName}] bulk write: {count / write.Elapsed.TotalSeconds:N0} records/s; load: {count / load.Elapsed.TotalSeconds:N0} records/s");
    }

    [Test]
    public async Task ContributeManyAsync_DuplicatesWithinAndAcrossBatches_OneRecordAndOneLogEntryEach()
    {
        // More items than one write script takes, over every partition, each value twice in the first call.
        var values = Enumerable.Range(0, 3000).ToList();
        var first = await _store.ContributeManyAsync([.. values.Concat(values).Select(i => PdqContribution(i))]);
        var second = await _store.ContributeManyAsync([.. values.Take(700).Concat(Enumerable.Range(5000, 10)).Select(i => PdqContribution(i))]);

        Assert.That(first.Take(3000).All(r => r.Created), Is.True);
        Assert.That(first.Skip(3000), Is.EqualTo(first.Take(3000).Select(r => r with { Created = false })), "a repeat within a call gets the first one's id");
        Assert.That(second.Take(700), Is.EqualTo(first.Take(700).Select(r => r with { Created = false })), "a later call gets the existing ids");
        Assert.That(second.Skip(700).All(r => r.Created), Is.True);
        var log = await ReadWholeLogAsync(maxPerPartition: 100);
        var expected = first.Take(3000).Concat(second.Skip(700)).Select(r => r.Id).Order().ToList();
        Assert.That(log.Where(e => e.Kind == ChangeKind.Added).Select(e => e.RecordId).Order().ToList(), Is.EqualTo(expected), "one log entry per created record");
        foreach (var partition in log.GroupBy(e => e.Partition))
        {
            Assert.That(partition.Select(e => e.Sequence), Is.EqualTo(Enumerable.Range(1, partition.Count()).Select(i => (long)i)), "sequence numbers without gaps");
        }
    }

    [Test]
    public async Task ContributeManyAsync_BulkWrittenRecord_ReadsBackEveryFieldAndUsualDefaults()
    {
        var results = await _store.ContributeManyAsync(
        [
            new Contribution { Signal = SignalType.Md5, Value = new string('d', 32), Member = "member-a" },
            PdqContribution(4) with { Note = "a note", Reference = "ref-1" },
        ]);

        var bare = await _store.GetAsync(results[0].Id);
        var full = await _store.GetAsync(results[1].Id);
        Assert.Multiple(() =>
        {
            Assert.That(bare!.Id, Is.EqualTo(results[0].Id));
            Assert.That((bare.Signal, bare.Value, bare.Member), Is.EqualTo((SignalType.Md5, new string('d', 32), "member-a")));
            Assert.That((bare.Quality, bare.Note, bare.Reference), Is.EqualTo(((int?)null, (string?)null, (string?)null)));
            Assert.That(bare.Labels, Is.Empty);
            Assert.That(bare.Status, Is.EqualTo(RecordStatus.Active));
            Assert.That(bare.UpdatedAt, Is.EqualTo(bare.CreatedAt));
            Assert.That((bare.PositiveFeedback, bare.NegativeFeedback), Is.EqualTo((0, 0)));
            Assert.That((full!.Quality, full.Note, full.Reference), Is.EqualTo(((int?)90, "a note", "ref-1")));
            Assert.That(full.Labels, Is.EqualTo(new[] { "propaganda" }));
        });
    }

    [Test]
    public async Task RelabelAsync_NoLabelsToNoLabels_IsNotAChange()
    {
        var id = (await _store.ContributeAsync(new Contribution { Signal = SignalType.Sha256, Value = new string('e', 64), Member = "member-a" })).Record.Id;

        await _store.RelabelAsync(id, []);
        var retracted = await _store.RetractAsync(id, "member-a");

        Assert.That(retracted!.Status, Is.EqualTo(RecordStatus.Retracted), "a record stored without a status field is active until retracted");
        var log = await ReadWholeLogAsync(maxPerPartition: 1000);
        Assert.That(log.Select(e => e.Kind), Is.EqualTo(new[] { ChangeKind.Added, ChangeKind.Retracted }));
    }

    private async Task<List<ChangeEntry>> ReadWholeLogAsync(int maxPerPartition)
    {
        var all = new List<ChangeEntry>();
        var cursor = StoreCursor.Start(await _store.GetPartitionsAsync());
        ChangeBatch batch;
        do
        {
            batch = await _store.ReadChangesAsync(cursor, maxPerPartition);
            Assert.That(batch.ReloadRequired, Is.False);
            all.AddRange(batch.Entries);
            cursor = batch.Cursor;
        }
        while (batch.More);

        Assert.That(cursor, Is.EqualTo(await _store.GetHeadAsync()));
        return all;
    }

    [Test]
    public async Task ChangeFeedFollower_TwoHostsOnOneStore_EachFindsTheOthersWrites()
    {
        await using var hostA = new IndexHost(_target.Configuration, Options());
        await using var hostB = new IndexHost(_target.Configuration, Options());
        await Task.WhenAll(hostA.Follower.Loaded, hostB.Follower.Loaded);

        var delays = new List<double>();
        for (var i = 0; i < 200; i++)
        {
            var (writer, reader) = i % 2 == 0 ? (hostA, hostB) : (hostB, hostA);
            var started = Stopwatch.GetTimestamp();
            var id = (await writer.Store.ContributeAsync(PdqContribution(50_000 + i))).Record.Id;
            await MemorySink.WaitUntilAsync(() => reader.Sink.Contains(id), TimeSpan.FromSeconds(10), $"record {id} on the other host");
            reader.Sink.TryGetArrival(id, out var arrived);
            delays.Add(Stopwatch.GetElapsedTime(started, arrived).TotalMilliseconds);
        }

        var retracted = (await hostA.Store.ContributeAsync(PdqContribution(1))).Record.Id;
        await MemorySink.WaitUntilAsync(() => hostB.Sink.Contains(retracted), TimeSpan.FromSeconds(10), "the record to retract");
        await hostA.Store.RetractAsync(retracted, "member-a");
        await MemorySink.WaitUntilAsync(() => !hostB.Sink.Contains(retracted), TimeSpan.FromSeconds(10), "the retraction on the other host");

        // The writer's own host learns of the retraction through its follower too, asynchronously.
        await MemorySink.WaitUntilAsync(() => !hostA.Sink.Contains(retracted), TimeSpan.FromSeconds(10), "the retraction on the writing host");
        Assert.That(hostA.Sink.Count, Is.EqualTo(200));
        Assert.That(hostB.Sink.Count, Is.EqualTo(200));
        delays.Sort();
        await TestContext.Out.WriteLineAsync(
            $"[{targetName}] write on one host -> applied on the other (ms, write included): " +
            $"p50 {Percentile(delays, 0.50):F2}, p99 {Percentile(delays, 0.99):F2}, max {delays[^1]:F2} over {delays.Count}");
    }

    [Test]
    public async Task ChangeFeedFollower_FellBehindTrimmedLog_ReloadsAndConverges()
    {
        var options = Options(changeLogLength: 5);
        await using var writer = new IndexHost(_target.Configuration, options);
        await writer.Follower.Loaded;
        await using var follower = new IndexHost(_target.Configuration, Options(changeLogLength: 5));
        await follower.Follower.Loaded;
        var ids = (await writer.Store.ContributeManyAsync([.. Enumerable.Range(0, 500).Select(i => PdqContribution(i))])).Select(r => r.Id).ToList();
        foreach (var id in ids.Take(100))
        {
            await writer.Store.RetractAsync(id, "member-a");
        }

        await MemorySink.WaitUntilAsync(() => follower.Sink.Count == 400 && ids.Skip(100).All(follower.Sink.Contains), TimeSpan.FromSeconds(20), "400 active records on the follower");
        Assert.That(follower.Follower.LoadCount, Is.GreaterThanOrEqualTo(1));
        await TestContext.Out.WriteLineAsync($"[{targetName}] follower loads: {follower.Follower.LoadCount} (more than 1 = reloaded after trimming)");
    }

    [Test]
    public async Task ChangeFeedFollower_SinkThrows_ReloadsAndKeepsFollowing()
    {
        var sink = new FlakySink(failuresLeft: 2);
        using var follower = new ChangeFeedFollower(_store, sink, Options());
        using var stop = new CancellationTokenSource();
        var run = Task.Run(() => follower.RunAsync(stop.Token));
        await follower.Loaded;

        var first = (await _store.ContributeAsync(PdqContribution(1))).Record.Id;
        var second = (await _store.ContributeAsync(PdqContribution(2))).Record.Id;
        await MemorySink.WaitUntilAsync(() => sink.Inner.Contains(first) && sink.Inner.Contains(second), TimeSpan.FromSeconds(20), "both records despite the failures");
        await stop.CancelAsync();
        await run;

        Assert.That(follower.LoadCount, Is.GreaterThan(1), "a failed apply is repaired by a reload");
    }

    [Test]
    public async Task ChangeFeedFollower_StoreOfAnEarlierLayout_LogsCriticalOnceAndLoadsWhenMigrated()
    {
        var db = _connection.Multiplexer.GetDatabase();
        await db.StringSetAsync(StoreKeys.PartitionsKey, 8); // left by a build from before record buckets
        using var logs = new CapturedLogs();
        using var factory = LoggerFactory.Create(builder => builder.AddProvider(logs));
        var sink = new MemorySink();
        using var follower = new ChangeFeedFollower(_store, sink, Options(), factory.CreateLogger<ChangeFeedFollower>());
        using var stop = new CancellationTokenSource();
        var run = Task.Run(() => follower.RunAsync(stop.Token));

        await MemorySink.WaitUntilAsync(() => logs.Contains("hashforum import"), TimeSpan.FromSeconds(20), "the refusal in the log");
        await Task.Delay(1500); // three retries
        var loadedWhileRefused = follower.Loaded.IsCompleted;
        await db.KeyDeleteAsync(StoreKeys.PartitionsKey); // migrated: an empty store
        await follower.Loaded.WaitAsync(TimeSpan.FromSeconds(20));
        await stop.CancelAsync();
        await run;

        Assert.That(loadedWhileRefused, Is.False, "nothing is loaded from a store that cannot be read");
        Assert.That(logs.Text().Split('\n').Count(l => l.Contains("cannot be read", StringComparison.Ordinal)), Is.EqualTo(1), "logged once, not per retry");
    }

    /// <summary>A sink whose Apply throws a given number of times before it works.</summary>
    private sealed class FlakySink(int failuresLeft) : IChangeSink
    {
        public MemorySink Inner { get; } = new();

        public void BeginLoad() => Inner.BeginLoad();

        public void Load(ReadOnlySpan<ChangeEntry> batch) => Inner.Load(batch);

        public void EndLoad() => Inner.EndLoad();

        public void Apply(in ChangeEntry change)
        {
            if (failuresLeft-- > 0)
            {
                throw new InvalidOperationException("The index is having a bad day.");
            }

            Inner.Apply(change);
        }
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}
