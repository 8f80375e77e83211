using HashForum.Membership.Internal;
using HashForum.Storage.Garnet;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace HashForum.Membership.Tests;

/// <summary>
/// Members, keys, validation and the audit log against a real store: the embedded Garnet always, a real redis-server
/// when HASHFORUM_TEST_REDIS gives one, and a 3-master Redis Cluster started here (skipped when unavailable; a failure when
/// HASHFORUM_REQUIRE_REDIS=1): every multi-key operation must stay in one hash slot.
/// </summary>
[TestFixture("garnet")]
[TestFixture("redis")]
[TestFixture("cluster")]
[NonParallelizable]
internal sealed class MembershipStoreTests(string target)
{
    private readonly ManualTime _time = new();
    private readonly Pepper _pepper = Pepper.Generate();
    private string _data = null!;
    private ServiceProvider _services = null!;
    private IMembershipStore _store = null!;
    private RedisCluster? _cluster;

    [OneTimeSetUp]
    public void StartStore()
    {
        string? redis = null;
        if (target == "redis")
        {
            redis = TestRedis.Require();
        }

        if (target == "cluster")
        {
            _cluster = RedisCluster.Start();
            redis = _cluster.Configuration;
        }

        _data = Path.Combine(Path.GetTempPath(), "hashforum-membership-tests", Guid.NewGuid().ToString("N"));
        var settings = new Dictionary<string, string?>
        {
            ["HashForum:Store:DataPath"] = _data,
            ["HashForum:Store:Redis"] = redis,
            ["HashForum:Membership:Pepper"] = _pepper.ToHex(),
        };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging().AddSingleton<TimeProvider>(_time);
        services.AddHashForumStore(configuration).AddHashForumMembership(configuration);
        _services = services.BuildServiceProvider();
        _store = _services.GetRequiredService<IMembershipStore>();
    }

    [OneTimeTearDown]
    public void StopStore()
    {
        _services?.Dispose();
        _cluster?.Dispose();
        if (_data is not null && Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    [Test]
    public async Task IssueKeyAsync_Always_StoresOnlyTheHmac()
    {
        var member = await _store.CreateMemberAsync("Stored", "", MemberKind.Member);

        var issued = await _store.IssueKeyAsync(member.Id, Scopes.Lookup, null, "");

        var raw = await Redis().HashGetAllAsync(MembershipKeys.Key(issued.Record.Id));
        var secret = issued.Key[20..];
        Assert.That(raw.Select(f => f.Value.ToString()), Has.None.Contains(secret));
        Assert.That(((byte[])raw.Single(f => f.Name == "hmac").Value!).Length, Is.EqualTo(32));
        Assert.That(_pepper.Matches(issued.Key, issued.Record.Hmac), Is.True);
    }

    [Test]
    public async Task ValidateAsync_IssuedKey_CallerWithScopes()
    {
        var member = await _store.CreateMemberAsync("Valid", "", MemberKind.Member);
        var issued = await _store.IssueKeyAsync(member.Id, Scopes.Lookup | Scopes.Sync, null, "");

        var result = await Validator().ValidateAsync("Bearer " + issued.Key);

        Assert.That(result.Outcome, Is.EqualTo(AuthOutcome.Ok));
        Assert.That(result.Caller!.MemberId, Is.EqualTo(member.Id));
        Assert.That(result.Caller.Scopes, Is.EqualTo(Scopes.Lookup | Scopes.Sync));
    }

    [Test]
    public async Task ValidateAsync_WellFormedButNeverIssued_Unknown()
    {
        var result = await Validator().ValidateAsync("Bearer " + ApiKeyFormat.Generate(out _));

        Assert.That(result.Outcome, Is.EqualTo(AuthOutcome.Unknown));
    }

    [Test]
    public async Task ValidateAsync_OtherPepper_Unknown()
    {
        var member = await _store.CreateMemberAsync("Peppered", "", MemberKind.Member);
        var issued = await _store.IssueKeyAsync(member.Id, Scopes.Lookup, null, "");
        var other = new KeyValidator(_store, Pepper.Generate(), Microsoft.Extensions.Options.Options.Create(new MembershipOptions()), _time);

        var result = await other.ValidateAsync("Bearer " + issued.Key);

        Assert.That(result.Outcome, Is.EqualTo(AuthOutcome.Unknown));
    }

    [Test]
    public async Task ValidateAsync_RevokedWhileCached_RefusedOnceTheCacheLapses()
    {
        var validator = Validator();
        var member = await _store.CreateMemberAsync("Revoked", "", MemberKind.Member);
        var issued = await _store.IssueKeyAsync(member.Id, Scopes.Lookup, null, "");
        Assert.That((await validator.ValidateAsync("Bearer " + issued.Key)).Outcome, Is.EqualTo(AuthOutcome.Ok));

        await _store.RevokeKeyAsync(issued.Record.Id);
        var whileCached = await validator.ValidateAsync("Bearer " + issued.Key);
        _time.Advance(new MembershipOptions().KeyCacheDuration + TimeSpan.FromMilliseconds(1));
        var afterLapse = await validator.ValidateAsync("Bearer " + issued.Key);

        Assert.That(whileCached.Outcome, Is.EqualTo(AuthOutcome.Ok), "no invalidation message reached this validator");
        Assert.That(afterLapse.Outcome, Is.EqualTo(AuthOutcome.Revoked));
    }

    [Test]
    public async Task ValidateAsync_AfterInvalidationMessage_RefusedAtOnce()
    {
        var validator = Validator();
        var member = await _store.CreateMemberAsync("Invalidated", "", MemberKind.Member);
        var issued = await _store.IssueKeyAsync(member.Id, Scopes.Lookup, null, "");
        await validator.ValidateAsync("Bearer " + issued.Key);

        await _store.RevokeKeyAsync(issued.Record.Id);
        validator.Invalidate("k:" + issued.Record.Id);

        Assert.That((await validator.ValidateAsync("Bearer " + issued.Key)).Outcome, Is.EqualTo(AuthOutcome.Revoked));
    }

    [Test]
    public async Task ValidateAsync_PastExpiry_Expired()
    {
        var member = await _store.CreateMemberAsync("Expiring", "", MemberKind.Member);
        var issued = await _store.IssueKeyAsync(member.Id, Scopes.Lookup, _time.GetUtcNow().AddMinutes(1), "");
        var validator = Validator();
        Assert.That((await validator.ValidateAsync("Bearer " + issued.Key)).Outcome, Is.EqualTo(AuthOutcome.Ok));

        _time.Advance(TimeSpan.FromMinutes(1));

        Assert.That((await validator.ValidateAsync("Bearer " + issued.Key)).Outcome, Is.EqualTo(AuthOutcome.Expired));
    }

    [Test]
    public async Task ValidateAsync_SuspendedMember_SuspendedAndBackWhenReactivated()
    {
        var validator = Validator();
        var member = await _store.CreateMemberAsync("Suspended", "", MemberKind.Member);
        var issued = await _store.IssueKeyAsync(member.Id, Scopes.Lookup, null, "");

        await _store.SetStatusAsync(member.Id, MemberStatus.Suspended);
        var suspended = await validator.ValidateAsync("Bearer " + issued.Key);
        await _store.SetStatusAsync(member.Id, MemberStatus.Active);
        validator.Invalidate("m:" + member.Id);
        var reactivated = await validator.ValidateAsync("Bearer " + issued.Key);

        Assert.That(suspended.Outcome, Is.EqualTo(AuthOutcome.Suspended));
        Assert.That(reactivated.Outcome, Is.EqualTo(AuthOutcome.Ok));
    }

    [TestCase(null, AuthOutcome.Missing)]
    [TestCase("", AuthOutcome.Missing)]
    [TestCase("Basic abc", AuthOutcome.Malformed)]
    [TestCase("Bearer hfk_nope", AuthOutcome.Malformed)]
    public async Task ValidateAsync_NoOrMalformedHeader_RefusedWithoutLookup(string? header, AuthOutcome expected)
    {
        var result = await Validator().ValidateAsync(header);

        Assert.That(result.Outcome, Is.EqualTo(expected));
        Assert.That(result.Message, Is.Not.Empty);
    }

    [Test]
    public async Task IssueKeyAsync_AdminScopeForMember_ArgumentException()
    {
        var member = await _store.CreateMemberAsync("Member", "", MemberKind.Member);

        await Assert.ThrowsAsync<ArgumentException>(async () => await _store.IssueKeyAsync(member.Id, Scopes.Admin, null, ""));
    }

    [Test]
    public async Task IssueKeyAsync_ExpiryInThePast_ArgumentException()
    {
        var member = await _store.CreateMemberAsync("Past", "", MemberKind.Member);

        await Assert.ThrowsAsync<ArgumentException>(async () => await _store.IssueKeyAsync(member.Id, Scopes.Lookup, _time.GetUtcNow(), ""));
    }

    [Test]
    public async Task IssueKeyAsync_UnknownMember_NotFound()
    {
        await Assert.ThrowsAsync<MembershipNotFoundException>(async () => await _store.IssueKeyAsync("mem_none", Scopes.Lookup, null, ""));
    }

    [Test]
    public async Task EnsureMemberAsync_Twice_OneMember()
    {
        var id = "op_" + Guid.NewGuid().ToString("N")[..8];

        var first = await _store.EnsureMemberAsync(id, "Operator", MemberKind.Operator);
        var second = await _store.EnsureMemberAsync(id, "Operator again", MemberKind.Operator);

        Assert.That(second, Is.EqualTo(first));
        Assert.That((await _store.ListMembersAsync()).Count(m => m.Id == id), Is.EqualTo(1));
    }

    [Test]
    public async Task ListKeysAsync_SeveralKeys_OldestFirstWithMetadata()
    {
        var member = await _store.CreateMemberAsync("Keys", "", MemberKind.Member);
        var first = await _store.IssueKeyAsync(member.Id, Scopes.Lookup, null, "one");
        _time.Advance(TimeSpan.FromSeconds(1));
        var second = await _store.IssueKeyAsync(member.Id, Scopes.Sync, null, "two");

        var keys = await _store.ListKeysAsync(member.Id);

        Assert.That(keys.Select(k => k.Id), Is.EqualTo(new[] { first.Record.Id, second.Record.Id }));
        Assert.That(keys[1].Description, Is.EqualTo("two"));
    }

    [Test]
    public async Task CheckPepperAsync_SamePepper_TrueAndOtherPepper_False()
    {
        // A fresh store takes the first pepper it sees; a shared Redis may already hold another suite's.
        var first = await _store.CheckPepperAsync();
        if (target != "redis")
        {
            Assert.That(first, Is.True);
        }

        var other = new RedisMembershipStore(Redis().Multiplexer, Pepper.Generate(), _time);

        Assert.That(await other.CheckPepperAsync(), Is.False);
    }

    [Test]
    public async Task AuditLog_ReadForMemberBeforeSequence_Filtered()
    {
        var log = _services.GetRequiredService<IAuditLog>();
        var member = "mem_" + Guid.NewGuid().ToString("N")[..8];
        var first = await log.WriteAsync(member, "k1", "a", "p", "ok", "first");
        await log.WriteAsync("someone else", "k2", "b", "p", "ok", "other");
        var third = await log.WriteAsync(member, "k1", "c", "p", "Unauthenticated", "third");

        var all = await log.ReadAsync(10, memberId: member);
        var older = await log.ReadAsync(10, before: third, memberId: member);

        Assert.That(all.Select(e => e.Sequence), Is.EqualTo(new[] { third, first }));
        Assert.That(older.Select(e => e.Detail), Is.EqualTo(new[] { "first" }));
        Assert.That(all[0].Outcome, Is.EqualTo("Unauthenticated"));
    }

    private KeyValidator Validator() =>
        new(_store, _pepper, Microsoft.Extensions.Options.Options.Create(new MembershipOptions()), _time);

    private IDatabase Redis() => _services.GetRequiredService<MembershipConnection>().Multiplexer.GetDatabase();
}
