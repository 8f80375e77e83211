using Grpc.Core;
using Grpc.Health.V1;
using HashForum.Contracts.V1;
using HashForum.Hashing.Pdq;
using HashForum.Server.Indexing;
using HashForum.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace HashForum.MemberApi.Tests;

/// <summary>
/// A server starting over a store that already holds records: until its index has loaded, grpc.health says
/// NOT_SERVING and PDQ lookups are refused as UNAVAILABLE (an empty index would answer "no match" for hashes that
/// are in the shared set); once loaded, SERVING and answers. The load is held by a test hook around the server's own
/// <see cref="IndexSink"/>, registered in the test only: the server itself is unchanged.
/// </summary>
[TestFixture]
[NonParallelizable]
internal sealed class IndexLoadingTests
{
    private readonly string _pepper = TestServer.NewPepper();
    private string _data = null!;
    private string _memberKey = null!;
    private string _pdq = null!;
    private string _md5 = null!;
    private HeldLoadSink _held = null!;
    private TestServer _loading = null!;

    [OneTimeSetUp]
    public async Task SeedStore()
    {
        _data = TestServer.NewTempFolder();
        await using var first = await TestServer.StartAsync(_pepper, dataPath: _data);
        var operatorKey = await first.BootstrapAsync(_pepper);
        (_, _memberKey) = await first.NewMemberAsync(operatorKey, "Loader", "lookup", "contribute");
        _pdq = Hash256.FromBytes(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)).ToString();
        _md5 = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        await first.Contribute.ContributeAsync(new ContributeRequest { Pdq = _pdq, Quality = 90 }, TestServer.With(_memberKey));
        await first.Contribute.ContributeAsync(new ContributeRequest { Md5 = _md5 }, TestServer.With(_memberKey));
    }

    /// <summary>Each test gets a server restarted over the seeded store, its first index load held at the end.</summary>
    [SetUp]
    public async Task StartLoadingServer()
    {
        _held = new HeldLoadSink();
        _loading = await TestServer.StartAsync(
            _pepper,
            dataPath: _data,
            services: s => s.AddSingleton<IChangeSink>(sp => _held.Around(sp.GetRequiredService<IndexSink>())),
            waitServing: false);
        Assert.That(_held.Reached.Wait(TimeSpan.FromSeconds(30)), Is.True, "the server's first index load did not reach its end within 30 s");
    }

    [TearDown]
    public async Task StopLoadingServer()
    {
        _held.Release();
        await _loading.DisposeAsync();
        _held.Dispose();
    }

    [OneTimeTearDown]
    public void DeleteStore()
    {
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Test]
    public async Task HealthCheck_IndexLoading_NotServing()
    {
        var health = await new Health.HealthClient(_loading.Channel).CheckAsync(new HealthCheckRequest());

        Assert.That(health.Status, Is.EqualTo(HealthCheckResponse.Types.ServingStatus.NotServing));
    }

    [Test]
    public async Task LookupHash_IndexLoading_UnavailableSayingRetry()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await _loading.Lookup.LookupHashAsync(new LookupHashRequest { Pdq = _pdq }, TestServer.With(_memberKey)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.Unavailable));
        Assert.That(ex.Status.Detail, Does.Contain("index is still loading").And.Contain("retry"));
    }

    [Test]
    public async Task LookupBatch_IndexLoading_Unavailable()
    {
        var batch = new LookupBatchRequest { Queries = { new LookupHashRequest { Pdq = _pdq } } };

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await _loading.Lookup.LookupBatchAsync(batch, TestServer.With(_memberKey)));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCode.Unavailable));
        Assert.That(ex.Status.Detail, Does.Contain("index is still loading"));
    }

    [Test]
    public async Task LookupHash_Md5WhileIndexLoading_AnsweredFromTheStore()
    {
        var response = await _loading.Lookup.LookupHashAsync(new LookupHashRequest { Md5 = _md5 }, TestServer.With(_memberKey));

        Assert.That(response.Matches.Single().Value, Is.EqualTo(_md5));
    }

    [Test]
    public async Task LookupHash_AfterTheLoad_ServingAndMatches()
    {
        _held.Release();
        await _loading.WaitServingAsync();

        var response = await _loading.Lookup.LookupHashAsync(new LookupHashRequest { Pdq = _pdq }, TestServer.With(_memberKey));

        Assert.That(response.Matches.Single().Value, Is.EqualTo(_pdq));
    }

    /// <summary>Passes the change feed to the server's sink, holding the end of the first load until released.</summary>
    private sealed class HeldLoadSink : IDisposable
    {
        private readonly ManualResetEventSlim _release = new();

        public ManualResetEventSlim Reached { get; } = new();

        public IChangeSink Around(IndexSink inner) => new Sink(inner, this);

        public void Release() => _release.Set();

        public void Dispose()
        {
            _release.Dispose();
            Reached.Dispose();
        }

        private sealed class Sink(IndexSink inner, HeldLoadSink held) : IChangeSink
        {
            public void BeginLoad() => inner.BeginLoad();

            public void Load(ReadOnlySpan<ChangeEntry> batch) => inner.Load(batch);

            public void EndLoad()
            {
                held.Reached.Set();

                // The feed calls the sink from one thread; blocking it here is the point. Bounded so a failed test cannot hang.
                held._release.Wait(TimeSpan.FromSeconds(60));
                inner.EndLoad();
            }

            public void Apply(in ChangeEntry change) => inner.Apply(change);
        }
    }
}
