using Grpc.Core;
using HashForum.Membership;
using HashForum.Server.Auth;
using HashForum.Server.Internal;
using V1 = HashForum.Contracts.V1;

namespace HashForum.Server.Services;

/// <summary>
/// Forum administration, operators only (the <c>admin</c> scope, which only operators' keys can hold). Every action
/// is audited with its outcome, failures included.
/// </summary>
[RequiresScope(Scopes.Admin)]
internal sealed class AdminService(
    IMembershipStore members, IAuditLog auditLog, AuditWriter audit, TimeProvider time, ILogger<AdminService> logger)
    : V1.AdminService.AdminServiceBase
{
    private const int DefaultAuditLimit = 100;
    private const int MaxAuditLimit = 1000;

    public override Task<V1.Member> CreateMember(V1.CreateMemberRequest request, ServerCallContext context) =>
        Audited(context, $"create member '{request.Name}'", async ct =>
        {
            var member = await members.CreateMemberAsync(request.Name, request.Contact, ProtoMapping.FromProto(request.Kind), ct)
                .ConfigureAwait(false);
            return (member.ToProto(), $"created {member.Kind.ToString().ToLowerInvariant()} {member.Id}");
        });

    public override Task<V1.Member> GetMember(V1.GetMemberRequest request, ServerCallContext context) =>
        Audited(context, $"get member {request.Id}", async ct =>
            ((await members.GetMemberAsync(request.Id, ct).ConfigureAwait(false) ?? throw NoMember(request.Id)).ToProto(), $"member {request.Id}"));

    public override Task<V1.ListMembersResponse> ListMembers(V1.ListMembersRequest request, ServerCallContext context) =>
        Audited(context, "list members", async ct =>
        {
            var response = new V1.ListMembersResponse();
            response.Members.AddRange((await members.ListMembersAsync(ct).ConfigureAwait(false)).Select(m => m.ToProto()));
            return (response, $"{response.Members.Count} members");
        });

    public override Task<V1.Member> SuspendMember(V1.SuspendMemberRequest request, ServerCallContext context) =>
        Audited(context, $"suspend member {request.Id}", async ct =>
        {
            var member = await members.SetStatusAsync(request.Id, MemberStatus.Suspended, ct).ConfigureAwait(false);
            var reason = string.IsNullOrWhiteSpace(request.Reason) ? string.Empty : $" ({request.Reason.Trim()})";
            return (member.ToProto(), $"suspended member {member.Id}{reason}");
        });

    public override Task<V1.Member> ReactivateMember(V1.ReactivateMemberRequest request, ServerCallContext context) =>
        Audited(context, $"reactivate member {request.Id}", async ct =>
        {
            var member = await members.SetStatusAsync(request.Id, MemberStatus.Active, ct).ConfigureAwait(false);
            return (member.ToProto(), $"reactivated member {member.Id}");
        });

    public override Task<V1.Member> SetRateLimit(V1.SetRateLimitRequest request, ServerCallContext context) =>
        Audited(context, $"set rate limit of {request.Id}", async ct =>
        {
            var limit = request.RateLimit ?? new V1.RateLimit();
            var member = await members.SetRateLimitAsync(request.Id, limit.RequestsPerSecond, limit.Burst, ct).ConfigureAwait(false);
            return (member.ToProto(), $"rate limit of {member.Id}: {limit.RequestsPerSecond} requests/s, burst {limit.Burst} (0 = default)");
        });

    public override Task<V1.IssuedKey> IssueKey(V1.IssueKeyRequest request, ServerCallContext context) =>
        Audited(context, $"issue key for {request.MemberId}", async ct =>
        {
            var scopes = ScopeNames.Parse(request.Scopes);
            var issued = await members.IssueKeyAsync(
                request.MemberId, scopes, ProtoMapping.FromProto(request.Expires), request.Description, ct).ConfigureAwait(false);
            return (issued.ToProto(), $"issued key {issued.Record.Id} for {issued.Record.MemberId} with scopes {string.Join(',', scopes.ToNames())}");
        });

    public override Task<V1.ListKeysResponse> ListKeys(V1.ListKeysRequest request, ServerCallContext context) =>
        Audited(context, $"list keys of {request.MemberId}", async ct =>
        {
            var response = new V1.ListKeysResponse();
            response.Keys.AddRange((await members.ListKeysAsync(request.MemberId, ct).ConfigureAwait(false)).Select(k => k.ToProto()));
            return (response, $"{response.Keys.Count} keys of {request.MemberId}");
        });

    public override Task<V1.RotateKeyResponse> RotateKey(V1.RotateKeyRequest request, ServerCallContext context) =>
        Audited(context, $"rotate key {request.Id}", async ct =>
        {
            if (request.OverlapSeconds < 0)
            {
                throw new ArgumentException("The overlap is a number of seconds, 0 or more.");
            }

            var old = await members.GetKeyAsync(request.Id, ct).ConfigureAwait(false) ?? throw NoKey(request.Id);
            if (old.Revoked is not null)
            {
                throw new RpcException(new Status(StatusCode.FailedPrecondition, $"Key {old.Id} is revoked; issue a new key instead."));
            }

            // A key that had a lifetime passes it on: the new key lives as long, from now.
            var now = time.GetUtcNow();
            DateTimeOffset? expires = old.Expires is { } e ? now + (e - old.Created) : null;
            var issued = await members.IssueKeyAsync(old.MemberId, old.Scopes, expires, old.Description, ct).ConfigureAwait(false);
            var oldInfo = request.OverlapSeconds == 0
                ? await members.RevokeKeyAsync(old.Id, ct).ConfigureAwait(false)
                : await members.ExpireKeyAsync(old.Id, now.AddSeconds(request.OverlapSeconds), ct).ConfigureAwait(false);
            var response = new V1.RotateKeyResponse { NewKey = issued.ToProto(), OldKey = oldInfo.ToProto() };
            return (response, $"rotated key {old.Id} to {issued.Record.Id} with {request.OverlapSeconds} s overlap");
        });

    public override Task<V1.KeyInfo> RevokeKey(V1.RevokeKeyRequest request, ServerCallContext context) =>
        Audited(context, $"revoke key {request.Id}", async ct =>
        {
            var key = await members.RevokeKeyAsync(request.Id, ct).ConfigureAwait(false);
            return (key.ToProto(), $"revoked key {key.Id} of {key.MemberId}");
        });

    public override Task<V1.ReadAuditLogResponse> ReadAuditLog(V1.ReadAuditLogRequest request, ServerCallContext context) =>
        Audited(context, "read the audit log", async ct =>
        {
            if (request.Limit < 0 || request.Limit > MaxAuditLimit)
            {
                throw new ArgumentException($"The limit is 1 to {MaxAuditLimit} (0 means {DefaultAuditLimit}).");
            }

            var entries = await auditLog.ReadAsync(request.Limit == 0 ? DefaultAuditLimit : request.Limit, request.Before, request.MemberId, ct)
                .ConfigureAwait(false);
            var response = new V1.ReadAuditLogResponse();
            response.Entries.AddRange(entries.Select(e => e.ToProto()));
            var scope = string.IsNullOrEmpty(request.MemberId) ? string.Empty : $" of {request.MemberId}";
            return (response, $"read {response.Entries.Count} audit entries{scope}");
        });

    private Task<T> Audited<T>(ServerCallContext context, string attempt, Func<CancellationToken, Task<(T Response, string Detail)>> action) =>
        AuditedCall.RunAsync(audit, logger, context, attempt, async (caller, ct) =>
        {
            var (response, detail) = await action(ct).ConfigureAwait(false);
            ServerLog.AdminAction(logger, context.Method, caller.MemberId, caller.KeyId, detail);
            return (response, detail);
        });

    private static MembershipNotFoundException NoMember(string id) =>
        new($"There is no member '{id}'; list them with 'hashforum admin member list'.");

    private static MembershipNotFoundException NoKey(string id) =>
        new($"There is no key '{id}'; list a member's keys with 'hashforum admin key list --member ID'.");
}
