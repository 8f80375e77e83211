using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using HashForum.Membership;
using HashForum.Server.Auth;
using V1 = HashForum.Contracts.V1;

namespace HashForum.Server.Services.Members;

/// <summary>
/// The label taxonomy: anyone with a key reads it; operators (admin scope) add and retire labels. Adding and retiring
/// are admin actions, so each is written to the audit log with its outcome, refusals included, as the admin service
/// does.
/// </summary>
[RequiresScope(Scopes.None)]
internal sealed class LabelService(LabelTaxonomy taxonomy, AuditWriter audit, ILogger<LabelService> logger) : V1.LabelService.LabelServiceBase
{
    public override async Task<V1.ListLabelsResponse> ListLabels(V1.ListLabelsRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var labels = await taxonomy.GetAsync(context.CancellationToken).ConfigureAwait(false);
        var response = new V1.ListLabelsResponse();
        response.Labels.AddRange(labels.Values
            .Where(l => request.IncludeRetired || !l.Retired)
            .OrderBy(l => l.Created)
            .ThenBy(l => l.Id, StringComparer.Ordinal)
            .Select(ToProto));
        return response;
    }

    [RequiresScope(Scopes.Admin)]
    public override Task<V1.Label> AddLabel(V1.AddLabelRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var id = request.Id.Trim();
        return Audited(context, $"add label '{id}'", async (caller, ct) =>
        {
            var label = await taxonomy.AddAsync(id, request.Name, request.Description, ct).ConfigureAwait(false);
            MemberApiLog.LabelAdded(logger, label.Id, caller.MemberId);
            return (ToProto(label), $"added label '{label.Id}' ({label.Name})");
        });
    }

    [RequiresScope(Scopes.Admin)]
    public override Task<V1.Label> RetireLabel(V1.RetireLabelRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var id = request.Id.Trim();
        return Audited(context, $"retire label '{id}'", async (caller, ct) =>
        {
            var label = await taxonomy.RetireAsync(id, ct).ConfigureAwait(false);
            MemberApiLog.LabelRetired(logger, label.Id, caller.MemberId);
            return (ToProto(label), $"retired label '{label.Id}'");
        });
    }

    /// <summary>Runs an operator's change to the taxonomy and audits it (<see cref="AuditedCall"/>).</summary>
    private Task<T> Audited<T>(
        ServerCallContext context, string attempt, Func<Caller, CancellationToken, Task<(T Response, string Detail)>> action) =>
        AuditedCall.RunAsync(audit, logger, context, attempt, action);

    private static V1.Label ToProto(LabelEntry label) => new()
    {
        Id = label.Id,
        Name = label.Name,
        Description = label.Description,
        Retired = label.Retired,
        Created = Timestamp.FromDateTimeOffset(label.Created),
    };
}
