using System.Globalization;
using Grpc.Core;
using Grpc.Net.Client;
using HashForum.Contracts.V1;
using HashForum.Server.Hosting;
using HashForum.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HashForum.Testing;

/// <summary>
/// A real server in this process: Kestrel on 127.0.0.1 and a free port, the embedded Garnet (kept small: several
/// run at once on a shared CI machine) in a temp folder, or a given Redis; logs captured; the generated clients
/// over a real HTTP/2 connection. Shared by HashForum.Server.Tests and HashForum.MemberApi.Tests.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly bool _ownsData;
    private readonly string? _redis;

    private TestServer(WebApplication app, string address, string dataPath, bool ownsData, string? redis, CapturedLogs logs)
    {
        _app = app;
        _redis = redis;
        Address = address;
        DataPath = dataPath;
        _ownsData = ownsData;
        Logs = logs;
        Channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024 });
        Admin = new AdminService.AdminServiceClient(Channel);
        Account = new AccountService.AccountServiceClient(Channel);
        Lookup = new LookupService.LookupServiceClient(Channel);
        Hashing = new HashingService.HashingServiceClient(Channel);
        Contribute = new ContributeService.ContributeServiceClient(Channel);
        Sync = new SyncService.SyncServiceClient(Channel);
        Labels = new LabelService.LabelServiceClient(Channel);
    }

    public string Address { get; }

    public string DataPath { get; }

    public CapturedLogs Logs { get; }

    public IServiceProvider Services => _app.Services;

    public GrpcChannel Channel { get; }

    public AdminService.AdminServiceClient Admin { get; }

    public AccountService.AccountServiceClient Account { get; }

    public LookupService.LookupServiceClient Lookup { get; }

    public HashingService.HashingServiceClient Hashing { get; }

    public ContributeService.ContributeServiceClient Contribute { get; }

    public SyncService.SyncServiceClient Sync { get; }

    public LabelService.LabelServiceClient Labels { get; }

    /// <summary>A fresh pepper, hex.</summary>
    public static string NewPepper() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    /// <summary>Starts a server; returns once it reports SERVING unless told not to wait.</summary>
    /// <param name="pepper">The membership pepper.</param>
    /// <param name="redis">A Redis to use instead of the embedded store.</param>
    /// <param name="dataPath">The data folder (a new temp folder, deleted at dispose, when null).</param>
    /// <param name="settings">Extra configuration, key to value.</param>
    /// <param name="services">Changes to the server's services before it is built (test hooks, e.g. a held index load).</param>
    /// <param name="waitServing">Whether to return only once grpc.health reports SERVING (the index is loaded).</param>
    public static async Task<TestServer> StartAsync(
        string pepper, string? redis = null, string? dataPath = null, IDictionary<string, string>? settings = null,
        Action<IServiceCollection>? services = null, bool waitServing = true)
    {
        var ownsData = dataPath is null;
        dataPath ??= NewTempFolder();
        var args = new List<string>
        {
            "--urls", "http://127.0.0.1:0",
            "--HashForum:Store:DataPath=" + dataPath,
            "--HashForum:Store:PollInterval=00:00:00.100",
            "--HashForum:Membership:Pepper=" + pepper,
            "--HashForum:MemberApi:SyncPollInterval=00:00:00.050",
            "--HashForum:Store:Embedded:Memory=64m",
            "--HashForum:Store:Embedded:Index=16m",
            "--HashForum:Store:Embedded:IndexMax=64m",
        };
        if (redis is not null)
        {
            args.Add("--HashForum:Store:Redis=" + redis);
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            args.Add($"--{key}={value}");
        }

        var builder = ServerApplication.CreateBuilder([.. args]);
        var logs = new CapturedLogs();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        services?.Invoke(builder.Services);
        var app = ServerApplication.Build(builder);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        var server = new TestServer(app, address, dataPath, ownsData, redis, logs);
        if (waitServing)
        {
            await server.WaitServingAsync();
        }

        return server;
    }

    /// <summary>The configuration string of this server's store (its embedded Garnet, or the Redis it uses).</summary>
    public string StoreEndpoint()
    {
        var options = _app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<HashForumStoreOptions>>().Value;
        return options.UsesEmbeddedStore ? _app.Services.GetRequiredService<IEmbeddedStoreServer>().EnsureStarted() : options.Redis!;
    }

    public static string NewTempFolder()
    {
        var path = Path.Combine(Path.GetTempPath(), "hashforum-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Call options carrying <paramref name="key"/> (none when null) and a deadline.</summary>
    public static CallOptions With(string? key) =>
        new(key is null ? [] : new Metadata { { "authorization", "Bearer " + key } }, DateTime.UtcNow.AddSeconds(30));

    /// <summary>
    /// Runs bootstrap against this server's data folder (or <paramref name="redis"/>, by default the Redis the server
    /// uses) and returns the operator key (the last line of stdout).
    /// </summary>
    public async Task<string> BootstrapAsync(string pepper, string? redis = null)
    {
        redis ??= _redis;
        using var stdout = new StringWriter(CultureInfo.InvariantCulture);
        using var stderr = new StringWriter(CultureInfo.InvariantCulture);
        var args = new List<string> { "bootstrap", "--HashForum:Store:DataPath=" + DataPath, "--HashForum:Membership:Pepper=" + pepper };
        if (redis is not null)
        {
            args.Add("--HashForum:Store:Redis=" + redis);
        }

        var code = await BootstrapCommand.RunAsync([.. args], stdout, stderr);
        Assert.That(code, Is.Zero, stderr.ToString());
        return stdout.ToString().TrimEnd().Split('\n')[^1].Trim();
    }

    /// <summary>Creates a member and issues it a key with <paramref name="scopes"/>; returns (member id, key).</summary>
    public async Task<(string MemberId, string Key)> NewMemberAsync(string operatorKey, string name, params string[] scopes)
    {
        var member = await Admin.CreateMemberAsync(new CreateMemberRequest { Name = name }, With(operatorKey));
        var issue = new IssueKeyRequest { MemberId = member.Id };
        issue.Scopes.AddRange(scopes);
        var key = (await Admin.IssueKeyAsync(issue, With(operatorKey))).Key;
        await Admin.SetRateLimitAsync(
            new SetRateLimitRequest { Id = member.Id, RateLimit = new RateLimit { RequestsPerSecond = 100_000, Burst = 100_000 } }, With(operatorKey));
        return (member.Id, key);
    }

    /// <summary>Issues the operator a key with every scope (operators may hold them all).</summary>
    public async Task<string> OperatorKeyWithAllScopesAsync(string operatorKey)
    {
        var issue = new IssueKeyRequest { MemberId = "operator" };
        issue.Scopes.AddRange(["lookup", "contribute", "sync", "admin"]);
        return (await Admin.IssueKeyAsync(issue, With(operatorKey))).Key;
    }

    /// <summary>Waits (up to 30 s) until grpc.health reports SERVING.</summary>
    public async Task WaitServingAsync()
    {
        var health = new Grpc.Health.V1.Health.HealthClient(Channel);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var status = await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest());
                if (status.Status == Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    return;
                }
            }
            catch (RpcException)
            {
            }

            await Task.Delay(50);
        }

        Assert.Fail("The server did not report SERVING within 30 s.");
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_ownsData)
        {
            try
            {
                Directory.Delete(DataPath, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}
