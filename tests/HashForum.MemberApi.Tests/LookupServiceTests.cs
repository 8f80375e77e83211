using Google.Protobuf;
using Grpc.Core;
using HashForum.Contracts.V1;
using HashForum.Hashing.Pdq;
using HashForum.MemberApi.Tests.Infrastructure;

namespace HashForum.MemberApi.Tests;

/// <summary>LookupService and HashingService through a real server: answers, options and every error path.</summary>
[TestFixture]
[NonParallelizable]
internal sealed class LookupServiceTests : MemberApiFixture
{
    protected override IDictionary<string, string> Settings => new Dictionary<string, string> { ["HashForum:MemberApi:MaxBatchSize"] = "100" };

    private async Task<HashRecord> ContributeAsync(Hash256 hash, int quality = 90, params string[] labels)
    {
        var request = new ContributeRequest { Pdq = hash.ToString(), Quality = quality, Note = "test" };
        request.Labels.AddRange(labels);
        var record = (await Server.Contribute.ContributeAsync(request, TestServer.With(MemberKey))).Records[0];
        await EventuallyAsync(async () => (await LookupAsync(hash)).Matches.Count > 0, "the contribution is in the index");
        return record;
    }

    private Task<LookupResponse> LookupAsync(Hash256 hash, LookupOptions? options = null) =>
        Server.Lookup.LookupHashAsync(new LookupHashRequest { Pdq = hash.ToString(), Options = options }, TestServer.With(MemberKey)).ResponseAsync;

    [Test]
    public async Task LookupHash_ContributedPdq_MatchCarriesTheRecord()
    {
        var hash = RandomHash();
        var record = await ContributeAsync(hash, 88, "glorification");

        var response = await Server.Lookup.LookupHashAsync(new LookupHashRequest { Pdq = hash.ToString() }, TestServer.With(OtherKey));

        var match = response.Matches.Single();
        Assert.Multiple(() =>
        {
            Assert.That(match.RecordId, Is.EqualTo(record.Id));
            Assert.That(match.Signal, Is.EqualTo(SignalType.Pdq));
            Assert.That(match.Value, Is.EqualTo(hash.ToString()));
            Assert.That(match.Distance, Is.Zero);
            Assert.That(match.Variant, Is.EqualTo("original"));
            Assert.That(match.Quality, Is.EqualTo(88));
            Assert.That(match.Labels, Is.EqualTo(new[] { "glorification" }));
            Assert.That(match.Member, Is.EqualTo(MemberId));
            Assert.That(match.Created, Is.Not.Null);
            Assert.That(match.Agree, Is.Zero);
            Assert.That(response.MaxDistance, Is.EqualTo(31));
            Assert.That(response.LowQuality, Is.False);
        });
    }

    [Test]
    public async Task LookupHash_NearHash_MatchAtItsDistance()
    {
        var hash = RandomHash();
        await ContributeAsync(hash);

        var response = await LookupAsync(Flip(hash, 10));

        Assert.That(response.Matches.Single().Distance, Is.EqualTo(10));
    }

    [Test]
    public async Task LookupHash_MaxDistanceNarrower_NoMatch()
    {
        var hash = RandomHash();
        await ContributeAsync(hash);

        var response = await LookupAsync(Flip(hash, 10), new LookupOptions { MaxDistance = 5 });

        Assert.That(response.Matches, Is.Empty);
        Assert.That(response.MaxDistance, Is.EqualTo(5));
    }

    [Test]
    public async Task LookupHash_MaxDistanceWider_FindsFartherMatch()
    {
        var hash = RandomHash();
        await ContributeAsync(hash);

        var response = await LookupAsync(Flip(hash, 40), new LookupOptions { MaxDistance = 45 });

        Assert.That(response.Matches.Single().Distance, Is.EqualTo(40));
    }

    [Test]
    public async Task LookupHash_MaxDistanceAboveCap_CappedAndReported()
    {
        var response = await LookupAsync(RandomHash(), new LookupOptions { MaxDistance = 200 });

        Assert.That(response.MaxDistance, Is.EqualTo(63));
    }

    [Test]
    public async Task LookupHash_PdqBytes_SameAnswerAsHex()
    {
        var hash = RandomHash();
        var record = await ContributeAsync(hash);

        var response = await Server.Lookup.LookupHashAsync(
            new LookupHashRequest { PdqBytes = ByteString.CopyFrom(hash.ToBytes()) }, TestServer.With(MemberKey));

        Assert.That(response.Matches.Single().RecordId, Is.EqualTo(record.Id));
    }

    [Test]
    public async Task LookupHash_Md5AndSha256_ExactMatches()
    {
        var md5 = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var md5Record = (await Server.Contribute.ContributeAsync(new ContributeRequest { Md5 = md5.ToUpperInvariant() }, TestServer.With(MemberKey))).Records[0];
        var shaRecord = (await Server.Contribute.ContributeAsync(new ContributeRequest { Sha256 = sha }, TestServer.With(MemberKey))).Records[0];

        var byMd5 = await Server.Lookup.LookupHashAsync(new LookupHashRequest { Md5 = md5 }, TestServer.With(OtherKey));
        var bySha = await Server.Lookup.LookupHashAsync(new LookupHashRequest { Sha256 = sha.ToUpperInvariant() }, TestServer.With(OtherKey));

        Assert.That(byMd5.Matches.Single().RecordId, Is.EqualTo(md5Record.Id));
        Assert.That(byMd5.Matches.Single().Signal, Is.EqualTo(SignalType.Md5));
        Assert.That(bySha.Matches.Single().RecordId, Is.EqualTo(shaRecord.Id));
        Assert.That(bySha.Matches.Single().Value, Is.EqualTo(sha));
    }

    [Test]
    public async Task LookupHash_QualityUnder50_NoPdqMatchesAndFlag()
    {
        var hash = RandomHash();
        await ContributeAsync(hash);

        var response = await Server.Lookup.LookupHashAsync(new LookupHashRequest { Pdq = hash.ToString(), Quality = 49 }, TestServer.With(MemberKey));

        Assert.That(response.LowQuality, Is.True);
        Assert.That(response.Matches, Is.Empty);
    }

    [Test]
    public async Task LookupHash_LabelFilter_OnlyRecordsWithTheLabel()
    {
        var hash = RandomHash();
        await ContributeAsync(hash, 90, "graphic-violence");

        var other = new LookupOptions();
        other.Labels.Add("imminent-credible-threat");
        var same = new LookupOptions();
        same.Labels.Add("graphic-violence");

        Assert.That((await LookupAsync(hash, other)).Matches, Is.Empty);
        Assert.That((await LookupAsync(hash, same)).Matches, Has.Count.EqualTo(1));
    }

    [TestCase("abc", "pdq: ")]
    [TestCase("zz0a41eb5e0b1d61af4c9e3bca0de19cd35c4e71c3e2d4f5b1a3f3b7f9e0c2d4", "pdq: ")]
    public async Task LookupHash_MalformedPdq_InvalidArgumentNamingTheField(string pdq, string prefix)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await Server.Lookup.LookupHashAsync(new LookupHashRequest { Pdq = pdq }, TestServer.With(MemberKey)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(ex.Status.Detail, Does.StartWith(prefix));
        Assert.That(ex.Status.Detail, Does.Not.Contain("   at "));
    }

    [Test]
    public async Task LookupHash_PdqBytesWrongLength_InvalidArgument()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await Server.Lookup.LookupHashAsync(new LookupHashRequest { PdqBytes = ByteString.CopyFrom(new byte[31]) }, TestServer.With(MemberKey)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(ex.Status.Detail, Does.StartWith("pdq_bytes: a PDQ hash is 32 bytes; got 31"));
    }

    [Test]
    public async Task LookupHash_MalformedMd5_InvalidArgument()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await Server.Lookup.LookupHashAsync(new LookupHashRequest { Md5 = "1234" }, TestServer.With(MemberKey)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(ex.Status.Detail, Does.StartWith("md5: A md5 value is 32 hex digits"));
    }

    [Test]
    public async Task LookupHash_NoQuery_InvalidArgument()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await Server.Lookup.LookupHashAsync(new LookupHashRequest(), TestServer.With(MemberKey)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(ex.Status.Detail, Does.StartWith("query: set one of"));
    }

    [Test]
    public async Task LookupHash_DihedralWithAHash_InvalidArgument()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await LookupAsync(RandomHash(), new LookupOptions { Dihedral = true }));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(ex.Status.Detail, Does.StartWith("options.dihedral: "));
    }

    [Test]
    public async Task LookupHash_NegativeDistance_InvalidArgument()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await LookupAsync(RandomHash(), new LookupOptions { MaxDistance = -1 }));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(ex.Status.Detail, Does.StartWith("options.max_distance: "));
    }

    [Test]
    public async Task LookupHash_UnknownLabelFilter_InvalidArgumentListingLabels()
    {
        var options = new LookupOptions();
        options.Labels.Add("nonsense");

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await LookupAsync(RandomHash(), options));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(ex.Status.Detail, Does.StartWith("options.labels[0]: unknown label 'nonsense'").And.Contain("glorification"));
    }

    [Test]
    public async Task LookupHash_NoKey_Unauthenticated()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await Server.Lookup.LookupHashAsync(new LookupHashRequest { Pdq = RandomHash().ToString() }, TestServer.With(null)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.Unauthenticated));
    }

    [Test]
    public async Task LookupHash_KeyWithoutLookupScope_PermissionDenied()
    {
        var (_, key) = await Server.NewMemberAsync(OperatorKey, "Contribute only", "contribute");

        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await Server.Lookup.LookupHashAsync(new LookupHashRequest { Pdq = RandomHash().ToString() }, TestServer.With(key)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.PermissionDenied));
        Assert.That(ex.Status.Detail, Does.Contain("lookup"));
    }

    [Test]
    public async Task LookupImage_ContributedImage_HashesAndAllThreeSignalsMatch()
    {
        var image = TestImages.Blocks(seed: 1);
        var contributed = await Server.Contribute.ContributeAsync(new ContributeRequest { Image = ByteString.CopyFrom(image) }, TestServer.With(MemberKey));
        var pdq = Hash256.Parse(contributed.Records[0].Value);
        await EventuallyAsync(async () => (await LookupAsync(pdq)).Matches.Count > 0, "the image's PDQ is in the index");

        var response = await Server.Lookup.LookupImageAsync(new LookupImageRequest { Image = ByteString.CopyFrom(image) }, TestServer.With(OtherKey));

        Assert.Multiple(() =>
        {
            Assert.That(response.Hashes.Pdq, Is.EqualTo(pdq.ToString()));
            Assert.That(response.Hashes.Quality, Is.GreaterThanOrEqualTo(50));
            Assert.That(response.Hashes.Md5, Is.EqualTo(HashForum.Imaging.ExactDigests.ComputeHex(image).Md5));
            Assert.That(response.Hashes.Sha256, Is.EqualTo(HashForum.Imaging.ExactDigests.ComputeHex(image).Sha256));
            Assert.That(response.Matches.Select(m => m.Signal), Is.EqualTo(new[] { SignalType.Pdq, SignalType.Md5, SignalType.Sha256 }));
            Assert.That(response.Matches.Select(m => m.RecordId), Is.EqualTo(contributed.Records.Select(r => r.Id)));
        });
    }

    [TestCase(90, "rot90", "rot270")]
    [TestCase(180, "rot180", "rot180")]
    [TestCase(270, "rot90", "rot270")]
    public async Task LookupImage_RotatedCopyWithDihedral_MatchesThroughAVariant(int degrees, string variant, string orVariant)
    {
        var original = TestImages.Blocks(seed: 2 + degrees);
        var contributed = await Server.Contribute.ContributeAsync(new ContributeRequest { Image = ByteString.CopyFrom(original) }, TestServer.With(MemberKey));
        var pdq = Hash256.Parse(contributed.Records[0].Value);
        await EventuallyAsync(async () => (await LookupAsync(pdq)).Matches.Count > 0, "the image's PDQ is in the index");
        var rotated = ByteString.CopyFrom(TestImages.Blocks(seed: 2 + degrees, rotateDegrees: degrees));

        var plain = await Server.Lookup.LookupImageAsync(new LookupImageRequest { Image = rotated }, TestServer.With(MemberKey));
        // PDQ's variants come from the DCT of the decimated image, whose sampling grid is not symmetric: an exactly
        // rotated 256-pixel block image lands 24 to 40 bits from its original's variant (measured with
        // 'hashforum hash --dihedral'), so the radius is widened here; random hashes lie ~128 bits away.
        var dihedral = await Server.Lookup.LookupImageAsync(
            new LookupImageRequest { Image = rotated, Options = new LookupOptions { Dihedral = true, MaxDistance = 56 } }, TestServer.With(MemberKey));

        Assert.That(plain.Matches, Is.Empty);
        var match = dihedral.Matches.Single();
        Assert.That(match.RecordId, Is.EqualTo(contributed.Records[0].Id));
        Assert.That(match.Variant, Is.AnyOf(variant, orVariant));
    }

    [Test]
    public async Task LookupImage_FlatImage_LowQualityFlagAndNoPdqMatch()
    {
        var response = await Server.Lookup.LookupImageAsync(new LookupImageRequest { Image = ByteString.CopyFrom(TestImages.Flat()) }, TestServer.With(MemberKey));

        Assert.That(response.LowQuality, Is.True);
        Assert.That(response.Hashes.Quality, Is.LessThan(50));
    }

    [TestCase(new byte[0], "image: no image bytes")]
    [TestCase(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }, "image: not a supported image")]
    public async Task LookupImage_NotAnImage_InvalidArgumentNamingImage(byte[] bytes, string start)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await Server.Lookup.LookupImageAsync(new LookupImageRequest { Image = ByteString.CopyFrom(bytes) }, TestServer.With(MemberKey)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(ex.Status.Detail, Does.StartWith(start));
    }

    [Test]
    public async Task LookupImage_TruncatedPng_InvalidArgument()
    {
        var png = TestImages.Blocks(seed: 3);

        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await Server.Lookup.LookupImageAsync(new LookupImageRequest { Image = ByteString.CopyFrom(png, 0, png.Length / 2) }, TestServer.With(MemberKey)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(ex.Status.Detail, Does.StartWith("image: "));
    }

    [Test]
    public async Task LookupBatch_MixedQueries_OneResultEachInOrder()
    {
        var hash = RandomHash();
        var record = await ContributeAsync(hash);
        var request = new LookupBatchRequest();
        request.Queries.Add(new LookupHashRequest { Pdq = RandomHash().ToString() });
        request.Queries.Add(new LookupHashRequest { Pdq = hash.ToString() });
        request.Queries.Add(new LookupHashRequest { Pdq = hash.ToString(), Quality = 10 });
        request.Queries.Add(new LookupHashRequest { Md5 = new string('0', 32) });

        var response = await Server.Lookup.LookupBatchAsync(request, TestServer.With(MemberKey));

        Assert.That(response.Results, Has.Count.EqualTo(4));
        Assert.That(response.Results[0].Matches, Is.Empty);
        Assert.That(response.Results[1].Matches.Single().RecordId, Is.EqualTo(record.Id));
        Assert.That(response.Results[2].LowQuality, Is.True);
        Assert.That(response.Results[3].Matches, Is.Empty);
    }

    [Test]
    public async Task LookupBatch_OneBadQuery_InvalidArgumentNamingItsIndex()
    {
        var request = new LookupBatchRequest();
        request.Queries.Add(new LookupHashRequest { Pdq = RandomHash().ToString() });
        request.Queries.Add(new LookupHashRequest { Pdq = "nothex" });

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await Server.Lookup.LookupBatchAsync(request, TestServer.With(MemberKey)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(ex.Status.Detail, Does.StartWith("queries[1].pdq: "));
    }

    [Test]
    public async Task LookupBatch_OverTheBatchSize_InvalidArgument()
    {
        var request = new LookupBatchRequest();
        for (var i = 0; i < 101; i++)
        {
            request.Queries.Add(new LookupHashRequest { Pdq = RandomHash().ToString() });
        }

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await Server.Lookup.LookupBatchAsync(request, TestServer.With(MemberKey)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(ex.Status.Detail, Does.StartWith("queries: at most 100 queries per batch; got 101"));
    }

    [Test]
    public async Task LookupStream_ThreeQueries_ThreeAnswersInOrder()
    {
        var hash = RandomHash();
        var record = await ContributeAsync(hash);
        using var call = Server.Lookup.LookupStream(TestServer.With(MemberKey));

        await call.RequestStream.WriteAsync(new LookupHashRequest { Pdq = RandomHash().ToString() });
        await call.RequestStream.WriteAsync(new LookupHashRequest { Pdq = hash.ToString() });
        await call.RequestStream.WriteAsync(new LookupHashRequest { Pdq = Flip(hash, 3).ToString() });
        await call.RequestStream.CompleteAsync();
        var answers = new List<LookupResponse>();
        await foreach (var answer in call.ResponseStream.ReadAllAsync())
        {
            answers.Add(answer);
        }

        Assert.That(answers, Has.Count.EqualTo(3));
        Assert.That(answers[0].Matches, Is.Empty);
        Assert.That(answers[1].Matches.Single().RecordId, Is.EqualTo(record.Id));
        Assert.That(answers[2].Matches.Single().Distance, Is.EqualTo(3));
    }

    [Test]
    public async Task LookupStream_BadMessage_InvalidArgumentNamingIt()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = Server.Lookup.LookupStream(TestServer.With(MemberKey));
            await call.RequestStream.WriteAsync(new LookupHashRequest { Pdq = RandomHash().ToString() });
            await call.RequestStream.WriteAsync(new LookupHashRequest { Sha256 = "12" });
            await call.RequestStream.CompleteAsync();
            await foreach (var unused in call.ResponseStream.ReadAllAsync())
            {
            }
        });

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(ex.Status.Detail, Does.StartWith("message 1.sha256: "));
    }

    [Test]
    public async Task GetRecord_Existing_TheRecord()
    {
        var record = await ContributeAsync(RandomHash());

        var got = await Server.Lookup.GetRecordAsync(new GetRecordRequest { Id = record.Id }, TestServer.With(OtherKey));

        Assert.That(got, Is.EqualTo(record));
    }

    [Test]
    public async Task GetRecord_Unknown_NotFound()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await Server.Lookup.GetRecordAsync(new GetRecordRequest { Id = 987_654_321 }, TestServer.With(MemberKey)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.NotFound));
        Assert.That(ex.Status.Detail, Is.EqualTo("There is no record 987654321."));
    }

    [Test]
    public async Task HashImage_Png_SameHashesAsTheLibraries()
    {
        var image = TestImages.Blocks(seed: 4);
        using var luma = new HashForum.Imaging.ImageDecoder().Decode(image);
        var expected = new PdqHasher().HashDihedral(luma.Pixels, luma.Width, luma.Height);

        var hashes = await Server.Hashing.HashImageAsync(new HashImageRequest { Image = ByteString.CopyFrom(image), Dihedral = true }, TestServer.With(MemberKey));

        Assert.Multiple(() =>
        {
            Assert.That(hashes.Pdq, Is.EqualTo(expected.Original.ToString()));
            Assert.That(hashes.Quality, Is.EqualTo(expected.Quality));
            Assert.That(hashes.Width, Is.EqualTo(256));
            Assert.That(hashes.Format, Is.EqualTo("png"));
            Assert.That(hashes.Variants.Select(v => v.Variant), Is.EqualTo(new[] { "original", "rot90", "rot180", "rot270", "flipx", "flipy", "flipplus1", "flipminus1" }));
            Assert.That(hashes.Variants[1].Pdq, Is.EqualTo(expected[DihedralVariant.Rot90].ToString()));
        });
    }

    [Test]
    public async Task HashImage_Image_NothingStoredOrLogged()
    {
        var image = TestImages.Blocks(seed: 5);

        var hashes = await Server.Hashing.HashImageAsync(new HashImageRequest { Image = ByteString.CopyFrom(image) }, TestServer.With(MemberKey));

        Assert.That(Server.Logs.Contains(hashes.Pdq), Is.False);
        Assert.That(Server.Logs.Contains(hashes.Md5), Is.False);
        var found = await Server.Lookup.LookupHashAsync(new LookupHashRequest { Md5 = hashes.Md5 }, TestServer.With(MemberKey));
        Assert.That(found.Matches, Is.Empty);
    }

    [Test]
    public async Task HashImage_Garbage_InvalidArgument()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await Server.Hashing.HashImageAsync(new HashImageRequest { Image = ByteString.CopyFromUtf8("GIF89a but not really") }, TestServer.With(MemberKey)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(ex.Status.Detail, Does.StartWith("image: "));
    }
}
