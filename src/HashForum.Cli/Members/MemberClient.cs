using System.Text;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using HashForum.Cli.Admin;
using HashForum.Contracts.V1;

namespace HashForum.Cli.Members;

/// <summary>
/// What the member commands share: the server (<c>--server</c> / <c>HASHFORUM_SERVER</c>) and key (<c>--key</c> /
/// <c>HASHFORUM_KEY</c>), the generated clients on one channel, and the mapping of failures to exit codes.
/// </summary>
internal sealed class MemberClient : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly Metadata _headers;

    private MemberClient(GrpcChannel channel, string key)
    {
        _channel = channel;
        _headers = new Metadata { { "authorization", "Bearer " + key } };
        Lookup = new LookupService.LookupServiceClient(channel);
        Contribute = new ContributeService.ContributeServiceClient(channel);
        Sync = new SyncService.SyncServiceClient(channel);
        Labels = new LabelService.LabelServiceClient(channel);
    }

    public LookupService.LookupServiceClient Lookup { get; }

    public GrpcChannel Channel => _channel;

    public ContributeService.ContributeServiceClient Contribute { get; }

    public SyncService.SyncServiceClient Sync { get; }

    public LabelService.LabelServiceClient Labels { get; }

    public static MemberClient Connect(MemberArguments args)
    {
        var server = args.Get("--server") ?? Environment.GetEnvironmentVariable("HASHFORUM_SERVER");
        server = string.IsNullOrWhiteSpace(server) ? AdminCommand.DefaultServer : server.Trim();
        if (!server.Contains("://", StringComparison.Ordinal))
        {
            server = "http://" + server;
        }

        var key = args.Get("--key") ?? Environment.GetEnvironmentVariable("HASHFORUM_KEY");
        if (string.IsNullOrWhiteSpace(key))
        {
            throw new UsageException("no key: set HASHFORUM_KEY or pass --key (an operator issues member keys with 'hashforum admin key issue')");
        }

        try
        {
            var channel = GrpcChannel.ForAddress(server, new GrpcChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024, MaxSendMessageSize = 64 * 1024 * 1024 });
            return new MemberClient(channel, key.Trim());
        }
        catch (UriFormatException)
        {
            throw new UsageException($"'{server}' is not a server address (e.g. http://127.0.0.1:5080)");
        }
    }

    /// <summary>Call options: the key, and a deadline unless <paramref name="deadline"/> is null.</summary>
    public CallOptions Options(TimeSpan? deadline = null, CancellationToken cancellationToken = default) =>
        new(_headers, deadline is null ? null : DateTime.UtcNow.Add(deadline.Value), cancellationToken);

    public CallOptions Options(int seconds) => Options(TimeSpan.FromSeconds(seconds));

    public void Dispose() => _channel.Dispose();

    /// <summary>Runs a command body, mapping usage mistakes and server refusals to exit codes and one stderr line.</summary>
    public static int Run(string verb, string usage, TextWriter stdout, TextWriter stderr, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (UsageException ex)
        {
            stderr.WriteLine($"hashforum {verb}: {ex.Message}.\n{usage}");
            return ExitCodes.Usage;
        }
        catch (RpcException ex)
        {
            stdout.Flush();
            stderr.WriteLine($"hashforum {verb}: {ex.StatusCode}: {ex.Status.Detail}");
            return ex.StatusCode switch
            {
                StatusCode.Unauthenticated => ExitCodes.Unauthenticated,
                StatusCode.PermissionDenied => ExitCodes.PermissionDenied,
                _ => ExitCodes.Failed,
            };
        }
        catch (AggregateException ex) when (ex.InnerException is RpcException rpc)
        {
            stderr.WriteLine($"hashforum {verb}: {rpc.StatusCode}: {rpc.Status.Detail}");
            return rpc.StatusCode switch
            {
                StatusCode.Unauthenticated => ExitCodes.Unauthenticated,
                StatusCode.PermissionDenied => ExitCodes.PermissionDenied,
                _ => ExitCodes.Failed,
            };
        }
    }

    /// <summary>One JSON object as a line.</summary>
    public static string Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    public static string SignalName(SignalType signal) => signal switch
    {
        SignalType.Pdq => "pdq",
        SignalType.Md5 => "md5",
        SignalType.Sha256 => "sha256",
        _ => "unknown",
    };

    public static void WriteStrings(Utf8JsonWriter writer, string name, IEnumerable<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }
}
