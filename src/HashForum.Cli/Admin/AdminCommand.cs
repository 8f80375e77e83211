using System.Globalization;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using HashForum.Contracts.V1;

namespace HashForum.Cli.Admin;

/// <summary>
/// <c>hashforum admin ...</c>: members, keys and the audit log, through the server's admin service with an operator
/// key (<c>--server</c> / <c>HASHFORUM_SERVER</c>, <c>--key</c> / <c>HASHFORUM_KEY</c>). With <c>--json</c>, one JSON
/// object per result on stdout. Errors go to stderr; the exit code tells UNAUTHENTICATED (3) and PERMISSION_DENIED (4)
/// from other failures (1) and usage mistakes (2).
/// </summary>
internal static class AdminCommand
{
    public const string DefaultServer = "http://127.0.0.1:5080";
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(30);
    private static readonly JsonFormatter s_json = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));

    public const string Usage = """
        usage: hashforum admin [--server URL] [--key KEY] [--json] COMMAND
          member create --name NAME [--contact TEXT] [--operator]
          member get ID | member list
          member suspend ID [--reason TEXT] | member reactivate ID
          member rate-limit ID --rate PER_SECOND [--burst N]      (--rate 0: server default)
          key issue --member ID --scopes lookup,contribute,sync,admin [--expires-in 90d | --expires 2027-01-01T00:00:00Z] [--description TEXT]
          key list --member ID
          key rotate KEYID [--overlap 1d]                          (old key works for the overlap; default 0: revoked now)
          key revoke KEYID
          audit [--limit N] [--member ID] [--before SEQ]
          whoami
        The server is --server or HASHFORUM_SERVER (default http://127.0.0.1:5080); the operator key is --key or HASHFORUM_KEY.
        Exit codes: 0 ok, 1 failed, 2 usage, 3 unauthenticated (missing, unknown, revoked or expired key),
        4 permission denied (suspended member or missing scope).
        """;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        AdminArguments parsed;
        try
        {
            parsed = AdminArguments.Parse(args);
        }
        catch (UsageException ex)
        {
            return UsageError(stderr, ex.Message);
        }

        if (parsed.Flags.Contains("--help") || parsed.Flags.Contains("-h") || parsed.Positionals.Count == 0)
        {
            stdout.WriteLine(Usage);
            return parsed.Positionals.Count == 0 && parsed.Flags.Count == 0 ? ExitCodes.Usage : ExitCodes.Ok;
        }

        var server = parsed.Get("--server") ?? Environment.GetEnvironmentVariable("HASHFORUM_SERVER");
        server = string.IsNullOrWhiteSpace(server) ? DefaultServer : server.Trim();
        if (!server.Contains("://", StringComparison.Ordinal))
        {
            server = "http://" + server;
        }

        var key = parsed.Get("--key") ?? Environment.GetEnvironmentVariable("HASHFORUM_KEY");
        if (string.IsNullOrWhiteSpace(key))
        {
            return UsageError(stderr, "no operator key: set HASHFORUM_KEY or pass --key (the server's 'bootstrap' command prints the first one)");
        }

        try
        {
            using var channel = GrpcChannel.ForAddress(server, new GrpcChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024 });
            var session = new Session(new AdminService.AdminServiceClient(channel), new AccountService.AccountServiceClient(channel), key.Trim(), parsed, stdout);
            session.RunAsync().GetAwaiter().GetResult();
            return ExitCodes.Ok;
        }
        catch (UsageException ex)
        {
            return UsageError(stderr, ex.Message);
        }
        catch (UriFormatException)
        {
            return UsageError(stderr, $"'{server}' is not a server address (e.g. http://127.0.0.1:5080)");
        }
        catch (RpcException ex)
        {
            stderr.WriteLine($"hashforum admin: {ex.StatusCode}: {ex.Status.Detail}");
            return ex.StatusCode switch
            {
                StatusCode.Unauthenticated => ExitCodes.Unauthenticated,
                StatusCode.PermissionDenied => ExitCodes.PermissionDenied,
                _ => ExitCodes.Failed,
            };
        }
    }

    private static int UsageError(TextWriter stderr, string message)
    {
        stderr.WriteLine($"hashforum admin: {message}. Run 'hashforum admin --help' for usage.");
        return ExitCodes.Usage;
    }

    private sealed class Session(
        AdminService.AdminServiceClient admin, AccountService.AccountServiceClient account, string key, AdminArguments args, TextWriter stdout)
    {
        private readonly Metadata _headers = new() { { "authorization", "Bearer " + key } };

        public async Task RunAsync()
        {
            var p = args.Positionals;
            var command = string.Join(' ', p.Take(2));
            switch (command)
            {
                case "member create":
                    Expect(0, "--name", "--contact");
                    Print(await admin.CreateMemberAsync(
                        new CreateMemberRequest
                        {
                            Name = args.Require("--name"),
                            Contact = args.Get("--contact") ?? string.Empty,
                            Kind = args.Flags.Contains("--operator") ? MemberKind.Operator : MemberKind.Member,
                        }, Options()));
                    break;
                case "member get":
                    Expect(1);
                    Print(await admin.GetMemberAsync(new GetMemberRequest { Id = p[2] }, Options()));
                    break;
                case "member list":
                    Expect(0);
                    foreach (var m in (await admin.ListMembersAsync(new ListMembersRequest(), Options())).Members)
                    {
                        Print(m);
                    }

                    break;
                case "member suspend":
                    Expect(1, "--reason");
                    Print(await admin.SuspendMemberAsync(new SuspendMemberRequest { Id = p[2], Reason = args.Get("--reason") ?? string.Empty }, Options()));
                    break;
                case "member reactivate":
                    Expect(1);
                    Print(await admin.ReactivateMemberAsync(new ReactivateMemberRequest { Id = p[2] }, Options()));
                    break;
                case "member rate-limit":
                    Expect(1, "--rate", "--burst");
                    Print(await admin.SetRateLimitAsync(
                        new SetRateLimitRequest
                        {
                            Id = p[2],
                            RateLimit = new RateLimit { RequestsPerSecond = Number(args.Require("--rate"), "--rate"), Burst = (int)Number(args.Get("--burst") ?? "0", "--burst") },
                        }, Options()));
                    break;
                case "key issue":
                    Expect(0, "--member", "--scopes", "--expires", "--expires-in", "--description");
                    var issue = new IssueKeyRequest
                    {
                        MemberId = args.Require("--member"),
                        Expires = Expiry(),
                        Description = args.Get("--description") ?? string.Empty,
                    };
                    issue.Scopes.AddRange(args.Require("--scopes").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                    Print(await admin.IssueKeyAsync(issue, Options()));
                    break;
                case "key list":
                    Expect(0, "--member");
                    foreach (var k in (await admin.ListKeysAsync(new ListKeysRequest { MemberId = args.Require("--member") }, Options())).Keys)
                    {
                        Print(k);
                    }

                    break;
                case "key rotate":
                    Expect(1, "--overlap");
                    var overlap = args.Get("--overlap") is { } o ? Duration(o, "--overlap") : TimeSpan.Zero;
                    Print(await admin.RotateKeyAsync(new RotateKeyRequest { Id = p[2], OverlapSeconds = (long)overlap.TotalSeconds }, Options()));
                    break;
                case "key revoke":
                    Expect(1);
                    Print(await admin.RevokeKeyAsync(new RevokeKeyRequest { Id = p[2] }, Options()));
                    break;
                case "audit" or "audit list":
                    if (p.Count > (command == "audit" ? 1 : 2))
                    {
                        throw new UsageException("audit takes no positional arguments");
                    }

                    Reject("--limit", "--member", "--before");
                    var read = new ReadAuditLogRequest
                    {
                        Limit = (int)Number(args.Get("--limit") ?? "100", "--limit"),
                        Before = (long)Number(args.Get("--before") ?? "0", "--before"),
                        MemberId = args.Get("--member") ?? string.Empty,
                    };
                    foreach (var e in (await admin.ReadAuditLogAsync(read, Options())).Entries)
                    {
                        Print(e);
                    }

                    break;
                case "whoami":
                    Expect(-1);
                    Print(await account.WhoAmIAsync(new WhoAmIRequest(), Options()));
                    break;
                default:
                    throw new UsageException($"unknown admin command '{command}'");
            }
        }

        private CallOptions Options() => new(_headers, DateTime.UtcNow + s_deadline);

        /// <summary>Checks the count of positionals after the two command words (-1: none after one word) and the options.</summary>
        private void Expect(int positionals, params string[] options)
        {
            var expected = positionals < 0 ? 1 : 2 + positionals;
            if (args.Positionals.Count != expected)
            {
                throw new UsageException(positionals > 0
                    ? $"'{string.Join(' ', args.Positionals.Take(2))}' takes {positionals} id"
                    : $"unexpected argument '{args.Positionals.Last()}'");
            }

            Reject(options);
        }

        private void Reject(params string[] options)
        {
            if (args.Unknown(options).FirstOrDefault() is { } unknown)
            {
                throw new UsageException($"unknown option {unknown}");
            }
        }

        private Timestamp? Expiry()
        {
            if (args.Get("--expires") is { } at)
            {
                return DateTimeOffset.TryParse(at, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
                    ? Timestamp.FromDateTimeOffset(time)
                    : throw new UsageException($"--expires '{at}' is not a time (e.g. 2027-01-01T00:00:00Z)");
            }

            return args.Get("--expires-in") is { } span ? Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow + Duration(span, "--expires-in")) : null;
        }

        private void Print(IMessage message)
        {
            if (args.Json)
            {
                stdout.WriteLine(s_json.Format(message));
                return;
            }

            switch (message)
            {
                case Member m:
                    stdout.WriteLine($"{m.Id}\t{m.Kind}\t{m.Status}\t{m.Name}\t{m.Contact}\t{Time(m.Created)}\t{(m.RateLimit is { } limit ? $"{limit.RequestsPerSecond}/s burst {limit.Burst}" : "default rate")}");
                    break;
                case IssuedKey k:
                    stdout.WriteLine($"Issued key {k.Id} for {k.Info.MemberId} ({string.Join(',', k.Info.Scopes)}; expires {Time(k.Info.Expires)}). It is shown once:");
                    stdout.WriteLine(k.Key);
                    break;
                case RotateKeyResponse r:
                    stdout.WriteLine($"Old key {r.OldKey.Id}: expires {Time(r.OldKey.Expires)}, revoked {Time(r.OldKey.Revoked)}.");
                    Print(r.NewKey);
                    break;
                case KeyInfo k:
                    stdout.WriteLine($"{k.Id}\t{k.MemberId}\t{string.Join(',', k.Scopes)}\tcreated {Time(k.Created)}\texpires {Time(k.Expires)}\tlast used {Time(k.LastUsed)}\trevoked {Time(k.Revoked)}");
                    break;
                case AuditEntry e:
                    stdout.WriteLine($"{e.Sequence}\t{Time(e.Time)}\t{e.MemberId}\t{e.KeyId}\t{e.Method}\t{e.Peer}\t{e.Outcome}\t{e.Detail}");
                    break;
                case WhoAmIResponse w:
                    stdout.WriteLine($"{w.MemberId} ({w.MemberName}, {w.Kind}), key {w.KeyId}, scopes {string.Join(',', w.Scopes)}, expires {Time(w.Expires)}");
                    break;
                default:
                    stdout.WriteLine(message.ToString());
                    break;
            }
        }

        private static string Time(Timestamp? t) =>
            t is null ? "-" : t.ToDateTimeOffset().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

        private static double Number(string text, string option) =>
            double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
                ? value
                : throw new UsageException($"{option} '{text}' is not a number");

        /// <summary>A duration: a number with s, m, h or d (e.g. 90d, 12h, 30m, 45s), or plain seconds.</summary>
        private static TimeSpan Duration(string text, string option)
        {
            var unit = text[^1];
            var scale = unit switch { 's' => 1, 'm' => 60, 'h' => 3600, 'd' => 86400, _ => 0 };
            var number = scale == 0 ? text : text[..^1];
            return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0 && double.IsFinite(value)
                ? TimeSpan.FromSeconds(value * Math.Max(scale, 1))
                : throw new UsageException($"{option} '{text}' is not a duration (e.g. 90d, 12h, 30m, 45s)");
        }
    }
}
