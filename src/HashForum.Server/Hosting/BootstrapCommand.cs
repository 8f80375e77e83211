using System.Net.Sockets;
using System.Text;
using HashForum.Membership;
using HashForum.Storage;
using HashForum.Storage.Garnet;

namespace HashForum.Server.Hosting;

/// <summary>
/// <c>HashForum.Server bootstrap</c>: talks to the store directly (same settings as the server), makes sure the
/// operator <see cref="OperatorId"/> exists and is active, issues it a key with the <c>admin</c> scope and prints the
/// key once, as the last line of stdout. Logs go to stderr. Run again, it issues another key (the earlier ones stay
/// valid until revoked).
/// </summary>
internal static class BootstrapCommand
{
    public const string Verb = "bootstrap";
    public const string OperatorId = "operator";

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args[1..] });
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        UseRunningServersStore(builder.Configuration, stderr);
        builder.Services.AddHashForumStore(builder.Configuration);
        builder.Services.AddHashForumMembership(builder.Configuration);
        try
        {
            using var host = builder.Build();
            await host.StartAsync().ConfigureAwait(false); // validates the options
            var members = host.Services.GetRequiredService<IMembershipStore>();
            if (!await members.CheckPepperAsync().ConfigureAwait(false))
            {
                await stderr.WriteLineAsync(
                    "warning: this pepper differs from the one the store's keys were issued under; the new key works only on servers with this pepper.")
                    .ConfigureAwait(false);
            }

            var op = await members.EnsureMemberAsync(OperatorId, "Forum operator", MemberKind.Operator).ConfigureAwait(false);
            if (op.Kind != MemberKind.Operator)
            {
                await stderr.WriteLineAsync($"bootstrap: member '{OperatorId}' exists but is not an operator; refusing.").ConfigureAwait(false);
                return 1;
            }

            if (op.Status != MemberStatus.Active)
            {
                op = await members.SetStatusAsync(op.Id, MemberStatus.Active).ConfigureAwait(false);
                await stderr.WriteLineAsync($"bootstrap: operator '{op.Id}' was suspended; reactivated.").ConfigureAwait(false);
            }

            var issued = await members.IssueKeyAsync(op.Id, Scopes.Admin, null, "bootstrap").ConfigureAwait(false);
            await host.Services.GetRequiredService<IAuditLog>()
                .WriteAsync(op.Id, issued.Record.Id, Verb, "local", "ok", $"issued operator key {issued.Record.Id}")
                .ConfigureAwait(false);
            await stdout.WriteLineAsync($"Operator '{op.Id}': issued admin key {issued.Record.Id}.").ConfigureAwait(false);
            await stdout.WriteLineAsync("The key is shown once; keep it safe (e.g. export HASHFORUM_KEY=...):").ConfigureAwait(false);
            await stdout.WriteLineAsync(issued.Key).ConfigureAwait(false);
            await stdout.FlushAsync().ConfigureAwait(false);
            await host.StopAsync().ConfigureAwait(false);
            return 0;
        }
        catch (Exception ex) when (ex is StoreUnavailableException or Microsoft.Extensions.Options.OptionsValidationException or FormatException or InvalidOperationException)
        {
            await stderr.WriteLineAsync("bootstrap: " + ex.Message).ConfigureAwait(false);
            return 1;
        }
    }

    /// <summary>
    /// With the embedded store, a running server holds the data folder: use its store (its endpoint file says where)
    /// rather than open the same folder a second time.
    /// </summary>
    private static void UseRunningServersStore(ConfigurationManager configuration, TextWriter stderr)
    {
        var redis = configuration[HashForumStoreOptions.SectionName + ":" + nameof(HashForumStoreOptions.Redis)];
        if (!string.IsNullOrWhiteSpace(redis) || !string.IsNullOrWhiteSpace(configuration[HashForumStoreOptions.RedisVariable]))
        {
            return;
        }

        var dataPath = configuration[HashForumStoreOptions.SectionName + ":" + nameof(HashForumStoreOptions.DataPath)] is { Length: > 0 } d
            ? d
            : configuration[HashForumStoreOptions.DataVariable] is { Length: > 0 } v ? v : new HashForumStoreOptions().DataPath;
        var file = Path.Combine(dataPath, StartupService.EndpointFileName);
        if (!File.Exists(file))
        {
            return;
        }

        var endpoint = File.ReadAllText(file).Trim();
        if (Answers(endpoint))
        {
            stderr.WriteLine($"bootstrap: using the running server's embedded store at {endpoint}.");
            configuration[HashForumStoreOptions.SectionName + ":" + nameof(HashForumStoreOptions.Redis)] = endpoint;
        }
    }

    private static bool Answers(string endpoint)
    {
        var colon = endpoint.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(endpoint.AsSpan(colon + 1), out var port))
        {
            return false;
        }

        try
        {
            using var client = new TcpClient();
            if (!client.ConnectAsync(endpoint[..colon], port).Wait(TimeSpan.FromSeconds(2)))
            {
                return false;
            }

            using var stream = client.GetStream();
            stream.ReadTimeout = 2000;
            stream.Write("PING\r\n"u8);
            var buffer = new byte[16];
            var read = stream.Read(buffer);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is SocketException or IOException or AggregateException)
        {
            return false;
        }
    }
}
