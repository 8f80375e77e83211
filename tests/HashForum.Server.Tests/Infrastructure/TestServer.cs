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

namespace HashForum.Server.Tests.Infrastructure;

/// <summary>
/// A real server in this process: Kestrel on 127.0.0.1 and a free port, the embedded Garnet in a temp folder (or a
/// given Redis), logs captured. Clients are the generated ones, over a real HTTP/2 connection.
/// </summary>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly GrpcChannel _channel;
    private readonly bool _ownsData;
    private readonly string? _redis;

    private TestServer(WebApplication app, string address, string dataPath, bool ownsData, string? redis, CapturedLogs logs)
    {
        _redis = redis;
        _app = app;
        Address = address;
        DataPath = dataPath;
        _ownsData = ownsData;
        Logs = logs;
        _channel = GrpcChannel.ForAddress(address);
        Admin = new AdminService.AdminServiceClient(_channel);
        Account = new AccountService.AccountServiceClient(_channel);
    }

    public string Address { get; }

    public string DataPath { get; }

    public CapturedLogs Logs { get; }

    public IServiceProvider Services => _app.Services;

    public GrpcChannel Channel => _channel;

    public AdminService.AdminServiceClient Admin { get; }

    public AccountService.AccountServiceClient Account { get; }

    /// <summary>A fresh pepper, hex.</summary>
    public static string NewPepper() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    /// <summary>
    /// Starts a server. <paramref name="redis"/> null: embedded store in <paramref name="dataPath"/> (a new temp folder
    /// if null). <paramref name="settings"/> are extra configuration keys.
    /// </summary>
    public static async Task<TestServer> StartAsync(
        string pepper, string? redis = null, string? dataPath = null, IDictionary<string, string>? settings = null)
    {
        var ownsData = dataPath is null;
        dataPath ??= NewTempFolder();
        var args = new List<string>
        {
            "--urls", "http://127.0.0.1:0",
            "--HashForum:Store:DataPath=" + dataPath,
            "--HashForum:Store:PollInterval=00:00:00.200",
            "--HashForum:Membership:Pepper=" + pepper,

            // Small embedded stores: several run at once on a shared CI machine.
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
        var app = ServerApplication.Build(builder);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new TestServer(app, address, dataPath, ownsData, redis, logs);
    }

    /// <summary>The configuration string of this server's store (its embedded Garnet, or the Redis it uses).</summary>
    public string StoreEndpoint()
    {
        var options = _app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<HashForumStoreOptions>>().Value;
        return options.UsesEmbeddedStore ? _app.Services.GetRequiredService<IEmbeddedStoreServer>().EnsureStarted() : options.Redis!;
    }

    public static string NewTempFolder()
    {
        var path = Path.Combine(Path.GetTempPath(), "hashforum-server-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Call options carrying <paramref name="key"/> (none when null) and a deadline.</summary>
    public static CallOptions With(string? key) =>
        new(key is null ? [] : new Metadata { { "authorization", "Bearer " + key } }, DateTime.UtcNow.AddSeconds(30));

    /// <summary>Runs bootstrap against this server's data folder and returns the key (the last line of stdout).</summary>
    public async Task<string> BootstrapAsync(string pepper)
    {
        using var stdout = new StringWriter(CultureInfo.InvariantCulture);
        using var stderr = new StringWriter(CultureInfo.InvariantCulture);
        List<string> args = ["bootstrap", "--HashForum:Store:DataPath=" + DataPath, "--HashForum:Membership:Pepper=" + pepper];
        if (_redis is not null)
        {
            args.Add("--HashForum:Store:Redis=" + _redis);
        }

        var code = await BootstrapCommand.RunAsync([.. args], stdout, stderr);
        Assert.That(code, Is.Zero, stderr.ToString());
        return stdout.ToString().TrimEnd().Split('\n')[^1].Trim();
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
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
