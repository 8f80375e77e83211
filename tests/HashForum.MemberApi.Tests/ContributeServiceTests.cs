using Google.Protobuf;
using Grpc.Core;
using HashForum.Contracts.V1;
using HashForum.Hashing.Pdq;
using HashForum.MemberApi.Tests.Infrastructure;

namespace HashForum.MemberApi.Tests;

/// <summary>ContributeService through a real server: contribute, retract, relabel, feedback and their errors.</summary>
[TestFixture]
[NonParallelizable]
internal sealed class ContributeServiceTests : MemberApiFixture
{
    private async Task<HashRecord> ContributeAsync(string key, Hash256? hash = null, params string[] labels)
    {
        var request = new ContributeRequest { Pdq = (hash ?? RandomHash()).ToString(), Quality = 100, Note = "note", Reference = "incident-1" };
        request.Labels.AddRange(labels);
        return (await Server.Contribute.ContributeAsync(request, TestServer.With(key))).Records[0];
    }

    private async Task<int> MatchCountAsync(string value) =>
        (await Server.Lookup.LookupHashAsync(new LookupHashRequest { Pdq = value }, TestServer.With(MemberKey))).Matches.Count;

    [Test]
    public async Task Contribute_Pdq_RecordAsSent()
    {
        var hash = RandomHash();

        var response = await Server.Contribute.ContributeAsync(
            new ContributeRequest { Pdq = hash.ToString().ToUpperInvariant(), Quality = 77, Labels = { "glorification" }, Note = "seen on x", Reference = "CIP-2026-1" },
            TestServer.With(MemberKey));

        var record = response.Records.Single();
        Assert.Multiple(() =>
        {
            Assert.That(response.Created.Single(), Is.True);
            Assert.That(record.Id, Is.Positive);
            Assert.That(record.Signal, Is.EqualTo(SignalType.Pdq));
            Assert.That(record.Value, Is.EqualTo(hash.ToString()));
            Assert.That(record.Quality, Is.EqualTo(77));
            Assert.That(record.Labels, Is.EqualTo(new[] { "glorification" }));
            Assert.That(record.Note, Is.EqualTo("seen on x"));
            Assert.That(record.Reference, Is.EqualTo("CIP-2026-1"));
            Assert.That(record.Member, Is.EqualTo(MemberId));
            Assert.That(record.Status, Is.EqualTo(RecordStatus.Active));
        });
    }

    [Test]
    public async Task Contribute_SameHashTwice_SameRecordNotCreatedAgain()
    {
        var hash = RandomHash();
        var first = await Server.Contribute.ContributeAsync(new ContributeRequest { Pdq = hash.ToString() }, TestServer.With(MemberKey));

        var second = await Server.Contribute.ContributeAsync(new ContributeRequest { Pdq = hash.ToString() }, TestServer.With(MemberKey));

        Assert.That(second.Records[0].Id, Is.EqualTo(first.Records[0].Id));
        Assert.That(second.Created[0], Is.False);
    }

    [Test]
    public async Task Contribute_Image_PdqMd5AndSha256Records()
    {
        var image = TestImages.Blocks(seed: 11);

        var response = await Server.Contribute.ContributeAsync(new ContributeRequest { Image = ByteString.CopyFrom(image) }, TestServer.With(MemberKey));

        Assert.That(response.Records.Select(r => r.Signal), Is.EqualTo(new[] { SignalType.Pdq, SignalType.Md5, SignalType.Sha256 }));
        Assert.That(response.Records[0].Quality, Is.GreaterThanOrEqualTo(50));
        Assert.That(response.Records[1].Value, Is.EqualTo(HashForum.Imaging.ExactDigests.ComputeHex(image).Md5));
    }

    [Test]
    public async Task Contribute_FlatImage_FailedPreconditionSayingWhy()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await Server.Contribute.ContributeAsync(new ContributeRequest { Image = ByteString.CopyFrom(TestImages.Flat()) }, TestServer.With(MemberKey)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.FailedPrecondition));
        Assert.That(ex.Status.Detail, Does.StartWith("PDQ quality 0 is under 50"));
    }

    [Test]
    public async Task Contribute_HashWithQualityUnder50_FailedPrecondition()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await Server.Contribute.ContributeAsync(new ContributeRequest { Pdq = RandomHash().ToString(), Quality = 49 }, TestServer.With(MemberKey)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.FailedPrecondition));
    }

    [TestCase("pdq", "0123", "pdq: ")]
    [TestCase("md5", "xyz", "md5: ")]
    [TestCase("sha256", "00", "sha256: ")]
    public async Task Contribute_MalformedValue_InvalidArgumentNamingTheField(string field, string value, string start)
    {
        var request = field switch
        {
            "pdq" => new ContributeRequest { Pdq = value },
            "md5" => new ContributeRequest { Md5 = value },
            _ => new ContributeRequest { Sha256 = value },
        };

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await Server.Contribute.ContributeAsync(request, TestServer.With(MemberKey)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(ex.Status.Detail, Does.StartWith(start));
    }

    [Test]
    public async Task Contribute_NoSubject_InvalidArgument()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await Server.Contribute.ContributeAsync(new ContributeRequest(), TestServer.With(MemberKey)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(ex.Status.Detail, Does.StartWith("subject: "));
    }

    [Test]
    public async Task Contribute_QualityOutOfRange_InvalidArgument()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await Server.Contribute.ContributeAsync(new ContributeRequest { Pdq = RandomHash().ToString(), Quality = 101 }, TestServer.With(MemberKey)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(ex.Status.Detail, Does.StartWith("quality: "));
    }

    [Test]
    public async Task Contribute_UnknownLabel_InvalidArgumentNamingItsIndex()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await Server.Contribute.ContributeAsync(
                new ContributeRequest { Pdq = RandomHash().ToString(), Labels = { "glorification", "terrorism" } }, TestServer.With(MemberKey)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(ex.Status.Detail, Does.StartWith("labels[1]: unknown label 'terrorism'; the labels in use are: "));
    }

    [Test]
    public async Task Contribute_KeyWithoutContributeScope_PermissionDenied()
    {
        var (_, key) = await Server.NewMemberAsync(OperatorKey, "Lookup only", "lookup");

        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await Server.Contribute.ContributeAsync(new ContributeRequest { Pdq = RandomHash().ToString() }, TestServer.With(key)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.PermissionDenied));
    }

    [Test]
    public async Task Retract_OwnRecord_RetractedAndNoLongerMatches()
    {
        var record = await ContributeAsync(MemberKey);
        await EventuallyAsync(async () => await MatchCountAsync(record.Value) == 1, "the record matches");

        var retracted = await Server.Contribute.RetractAsync(new RetractRequest { Id = record.Id }, TestServer.With(MemberKey));

        Assert.That(retracted.Status, Is.EqualTo(RecordStatus.Retracted));
        Assert.That(retracted.RetractedBy, Is.EqualTo(MemberId));
        await EventuallyAsync(async () => await MatchCountAsync(record.Value) == 0, "the retracted record stops matching");
    }

    [Test]
    public async Task Retract_SomeoneElsesRecord_PermissionDenied()
    {
        var record = await ContributeAsync(MemberKey);

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await Server.Contribute.RetractAsync(new RetractRequest { Id = record.Id }, TestServer.With(OtherKey)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.PermissionDenied));
        Assert.That(ex.Status.Detail, Does.Contain($"contributed by member {MemberId}"));
    }

    [Test]
    public async Task Retract_ByAnOperator_AnyRecord()
    {
        var record = await ContributeAsync(MemberKey);
        var operatorKey = await Server.OperatorKeyWithAllScopesAsync(OperatorKey);

        var retracted = await Server.Contribute.RetractAsync(new RetractRequest { Id = record.Id }, TestServer.With(operatorKey));

        Assert.That(retracted.Status, Is.EqualTo(RecordStatus.Retracted));
        Assert.That(retracted.RetractedBy, Is.EqualTo("operator"));
    }

    [Test]
    public async Task Retract_UnknownRecord_NotFound()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await Server.Contribute.RetractAsync(new RetractRequest { Id = 123_456_789 }, TestServer.With(MemberKey)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.NotFound));
    }

    [Test]
    public async Task Retract_IdZero_InvalidArgument()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await Server.Contribute.RetractAsync(new RetractRequest(), TestServer.With(MemberKey)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(ex.Status.Detail, Does.StartWith("id: "));
    }

    [Test]
    public async Task Relabel_OwnRecord_LabelsReplaced()
    {
        var record = await ContributeAsync(MemberKey, null, "glorification");

        var relabeled = await Server.Contribute.RelabelAsync(
            new RelabelRequest { Id = record.Id, Labels = { "graphic-violence", "attacker-content" } }, TestServer.With(MemberKey));

        Assert.That(relabeled.Labels, Is.EqualTo(new[] { "graphic-violence", "attacker-content" }));
    }

    [Test]
    public async Task Relabel_SomeoneElsesRecord_PermissionDenied()
    {
        var record = await ContributeAsync(MemberKey);

        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await Server.Contribute.RelabelAsync(new RelabelRequest { Id = record.Id, Labels = { "glorification" } }, TestServer.With(OtherKey)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.PermissionDenied));
    }

    [Test]
    public async Task Relabel_UnknownLabel_InvalidArgument()
    {
        var record = await ContributeAsync(MemberKey);

        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await Server.Contribute.RelabelAsync(new RelabelRequest { Id = record.Id, Labels = { "Glorification" } }, TestServer.With(MemberKey)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(ex.Status.Detail, Does.StartWith("labels[0]: "));
    }

    [Test]
    public async Task Feedback_AgreeThenDisagree_OneStandingOpinionPerMember()
    {
        var record = await ContributeAsync(MemberKey);

        var agreed = await Server.Contribute.FeedbackAsync(new FeedbackRequest { Id = record.Id, Opinion = Opinion.Agree }, TestServer.With(OtherKey));
        var again = await Server.Contribute.FeedbackAsync(new FeedbackRequest { Id = record.Id, Opinion = Opinion.Agree }, TestServer.With(OtherKey));
        var changed = await Server.Contribute.FeedbackAsync(
            new FeedbackRequest { Id = record.Id, Opinion = Opinion.Disagree, Label = "graphic-violence" }, TestServer.With(OtherKey));
        var cleared = await Server.Contribute.FeedbackAsync(new FeedbackRequest { Id = record.Id, Opinion = Opinion.Unspecified }, TestServer.With(OtherKey));

        Assert.That((agreed.Agree, agreed.Disagree), Is.EqualTo((1, 0)));
        Assert.That((again.Agree, again.Disagree), Is.EqualTo((1, 0)));
        Assert.That((changed.Agree, changed.Disagree), Is.EqualTo((0, 1)));
        Assert.That((cleared.Agree, cleared.Disagree), Is.EqualTo((0, 0)));
    }

    [Test]
    public async Task Feedback_TalliesShowInLookupMatches()
    {
        var record = await ContributeAsync(MemberKey);
        await Server.Contribute.FeedbackAsync(new FeedbackRequest { Id = record.Id, Opinion = Opinion.Disagree }, TestServer.With(OtherKey));
        await EventuallyAsync(async () => await MatchCountAsync(record.Value) == 1, "the record matches");

        var match = (await Server.Lookup.LookupHashAsync(new LookupHashRequest { Pdq = record.Value }, TestServer.With(MemberKey))).Matches.Single();

        Assert.That(match.Disagree, Is.EqualTo(1));
    }

    [Test]
    public async Task Feedback_UnknownRecord_NotFound()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await Server.Contribute.FeedbackAsync(new FeedbackRequest { Id = 55_555_555, Opinion = Opinion.Agree }, TestServer.With(MemberKey)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.NotFound));
    }

    [Test]
    public async Task Feedback_UnknownLabel_InvalidArgument()
    {
        var record = await ContributeAsync(MemberKey);

        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await Server.Contribute.FeedbackAsync(new FeedbackRequest { Id = record.Id, Opinion = Opinion.Agree, Label = "nope" }, TestServer.With(OtherKey)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(ex.Status.Detail, Does.StartWith("label: unknown label 'nope'"));
    }
}
