using Grpc.Core;
using HashForum.Contracts.V1;
using HashForum.MemberApi.Tests.Infrastructure;

namespace HashForum.MemberApi.Tests;

/// <summary>The label taxonomy: seeded with GIFCT's categories, managed by operators.</summary>
[TestFixture]
[NonParallelizable]
internal sealed class LabelServiceTests : MemberApiFixture
{
    protected override IDictionary<string, string> Settings => new Dictionary<string, string> { ["HashForum:MemberApi:LabelCacheDuration"] = "00:00:00" };

    [Test]
    public async Task ListLabels_NewStore_TheFiveGifctCategories()
    {
        var labels = await Server.Labels.ListLabelsAsync(new ListLabelsRequest(), TestServer.With(MemberKey));

        Assert.That(labels.Labels.Select(l => l.Id), Is.SupersetOf(new[]
        {
            "imminent-credible-threat", "graphic-violence", "glorification", "radicalisation-recruitment-instruction", "attacker-content",
        }));
        Assert.That(labels.Labels.Single(l => l.Id == "attacker-content").Name, Is.EqualTo("Attacker manifestos and perpetrator-produced attack content"));
    }

    [Test]
    public async Task AddLabel_Operator_ListedAndUsableInContributions()
    {
        var added = await Server.Labels.AddLabelAsync(
            new AddLabelRequest { Id = "test-added", Name = "Added in a test", Description = "x" }, TestServer.With(OperatorKey));

        var labels = await Server.Labels.ListLabelsAsync(new ListLabelsRequest(), TestServer.With(MemberKey));
        var record = await Server.Contribute.ContributeAsync(
            new ContributeRequest { Pdq = RandomHash().ToString(), Labels = { "test-added" } }, TestServer.With(MemberKey));

        Assert.That(added.Retired, Is.False);
        Assert.That(labels.Labels.Select(l => l.Id), Does.Contain("test-added"));
        Assert.That(record.Records[0].Labels, Is.EqualTo(new[] { "test-added" }));
    }

    [Test]
    public async Task AddLabel_MemberKey_PermissionDenied()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await Server.Labels.AddLabelAsync(new AddLabelRequest { Id = "by-member", Name = "No" }, TestServer.With(MemberKey)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.PermissionDenied));
    }

    [TestCase("Upper", "id: ")]
    [TestCase("", "id: ")]
    [TestCase("with space", "id: ")]
    public async Task AddLabel_BadId_InvalidArgument(string id, string start)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await Server.Labels.AddLabelAsync(new AddLabelRequest { Id = id, Name = "Name" }, TestServer.With(OperatorKey)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(ex.Status.Detail, Does.StartWith(start));
    }

    [Test]
    public async Task AddLabel_NoName_InvalidArgument()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await Server.Labels.AddLabelAsync(new AddLabelRequest { Id = "no-name" }, TestServer.With(OperatorKey)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(ex.Status.Detail, Does.StartWith("name: "));
    }

    [Test]
    public async Task AddLabel_ExistingId_AlreadyExists()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await Server.Labels.AddLabelAsync(new AddLabelRequest { Id = "glorification", Name = "Again" }, TestServer.With(OperatorKey)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.AlreadyExists));
    }

    [Test]
    public async Task RetireLabel_ThenContributeWithIt_RefusedButLookupFilterStillAccepts()
    {
        await Server.Labels.AddLabelAsync(new AddLabelRequest { Id = "to-retire", Name = "Soon gone" }, TestServer.With(OperatorKey));

        var retired = await Server.Labels.RetireLabelAsync(new RetireLabelRequest { Id = "to-retire" }, TestServer.With(OperatorKey));

        Assert.That(retired.Retired, Is.True);
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await Server.Contribute.ContributeAsync(new ContributeRequest { Pdq = RandomHash().ToString(), Labels = { "to-retire" } }, TestServer.With(MemberKey)));
        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(ex.Status.Detail, Does.StartWith("labels[0]: the label 'to-retire' is retired"));
        var active = await Server.Labels.ListLabelsAsync(new ListLabelsRequest(), TestServer.With(MemberKey));
        var all = await Server.Labels.ListLabelsAsync(new ListLabelsRequest { IncludeRetired = true }, TestServer.With(MemberKey));
        Assert.That(active.Labels.Select(l => l.Id), Does.Not.Contain("to-retire"));
        Assert.That(all.Labels.Single(l => l.Id == "to-retire").Retired, Is.True);
        var filter = new LookupOptions();
        filter.Labels.Add("to-retire");
        Assert.That((await Server.Lookup.LookupHashAsync(new LookupHashRequest { Pdq = RandomHash().ToString(), Options = filter }, TestServer.With(MemberKey))).Matches, Is.Empty);
    }

    [Test]
    public async Task RetireLabel_Unknown_NotFound()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await Server.Labels.RetireLabelAsync(new RetireLabelRequest { Id = "never-was" }, TestServer.With(OperatorKey)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.NotFound));
    }

    [Test]
    public async Task AddLabel_Operator_AuditedWithKeyIdPeerAndOk()
    {
        await Server.Labels.AddLabelAsync(new AddLabelRequest { Id = "audited-add", Name = "Audited" }, TestServer.With(OperatorKey));

        var entry = await AuditEntryAsync("/AddLabel", "audited-add");

        Assert.That(entry.Outcome, Is.EqualTo("ok"));
        Assert.That(entry.MemberId, Is.EqualTo("operator"));
        Assert.That(entry.KeyId, Is.Not.Empty);
        Assert.That(entry.Peer, Does.Contain("127.0.0.1"));
        Assert.That(entry.Method, Is.EqualTo("/hashforum.v1.LabelService/AddLabel"));
    }

    [Test]
    public async Task RetireLabel_Operator_AuditedWithOk()
    {
        await Server.Labels.AddLabelAsync(new AddLabelRequest { Id = "audited-retire", Name = "Audited" }, TestServer.With(OperatorKey));

        await Server.Labels.RetireLabelAsync(new RetireLabelRequest { Id = "audited-retire" }, TestServer.With(OperatorKey));

        var entry = await AuditEntryAsync("/RetireLabel", "audited-retire");
        Assert.That(entry.Outcome, Is.EqualTo("ok"));
        Assert.That(entry.Detail, Is.EqualTo("retired label 'audited-retire'"));
    }

    [Test]
    public async Task AddLabel_ExistingId_AuditedWithAlreadyExists()
    {
        await Assert.ThrowsAsync<RpcException>(async () =>
            await Server.Labels.AddLabelAsync(new AddLabelRequest { Id = "graphic-violence", Name = "Again" }, TestServer.With(OperatorKey)));

        var entry = await AuditEntryAsync("/AddLabel", "graphic-violence");
        Assert.That(entry.Outcome, Is.EqualTo(nameof(StatusCode.AlreadyExists)));
        Assert.That(entry.Detail, Is.EqualTo("add label 'graphic-violence'"));
    }

    [Test]
    public async Task RetireLabel_Unknown_AuditedWithNotFound()
    {
        await Assert.ThrowsAsync<RpcException>(async () =>
            await Server.Labels.RetireLabelAsync(new RetireLabelRequest { Id = "never-audited" }, TestServer.With(OperatorKey)));

        var entry = await AuditEntryAsync("/RetireLabel", "never-audited");
        Assert.That(entry.Outcome, Is.EqualTo(nameof(StatusCode.NotFound)));
    }

    [Test]
    public async Task AddLabel_MemberKey_AuditedAsPermissionDenied()
    {
        await Assert.ThrowsAsync<RpcException>(async () =>
            await Server.Labels.AddLabelAsync(new AddLabelRequest { Id = "member-tries", Name = "No" }, TestServer.With(MemberKey)));

        var log = await Server.Admin.ReadAuditLogAsync(new ReadAuditLogRequest { Limit = 1000, MemberId = MemberId }, TestServer.With(OperatorKey));
        Assert.That(log.Entries.Any(e => e.Method.EndsWith("/AddLabel", StringComparison.Ordinal) && e.Outcome == nameof(StatusCode.PermissionDenied)), Is.True);
    }

    /// <summary>The newest audit entry of a LabelService method whose detail names <paramref name="labelId"/>.</summary>
    private async Task<AuditEntry> AuditEntryAsync(string methodSuffix, string labelId)
    {
        var log = await Server.Admin.ReadAuditLogAsync(new ReadAuditLogRequest { Limit = 1000 }, TestServer.With(OperatorKey));
        var entry = log.Entries.FirstOrDefault(e =>
            e.Method.EndsWith(methodSuffix, StringComparison.Ordinal) && e.Detail.Contains($"'{labelId}'", StringComparison.Ordinal));
        Assert.That(entry, Is.Not.Null, $"no audit entry for {methodSuffix} of '{labelId}' in:\n{log}");
        return entry!;
    }
}
