using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using HashForum.Membership;
using HashForum.Server.Auth;
using V1 = HashForum.Contracts.V1;

namespace HashForum.Server.Services.Members;

/// <summary>The label taxonomy: anyone with a key reads it; operators (admin scope) add and retire labels.</summary>
[RequiresScope(Scopes.None)]
internal sealed class LabelService(LabelTaxonomy taxonomy, ILogger<LabelService> logger) : V1.LabelService.LabelServiceBase
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
    public override async Task<V1.Label> AddLabel(V1.AddLabelRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var label = await taxonomy.AddAsync(request.Id.Trim(), request.Name, request.Description, context.CancellationToken).ConfigureAwait(false);
        MemberApiLog.LabelAdded(logger, label.Id, context.GetCaller().MemberId);
        return ToProto(label);
    }

    [RequiresScope(Scopes.Admin)]
    public override async Task<V1.Label> RetireLabel(V1.RetireLabelRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var label = await taxonomy.RetireAsync(request.Id.Trim(), context.CancellationToken).ConfigureAwait(false);
        MemberApiLog.LabelRetired(logger, label.Id, context.GetCaller().MemberId);
        return ToProto(label);
    }

    private static V1.Label ToProto(LabelEntry label) => new()
    {
        Id = label.Id,
        Name = label.Name,
        Description = label.Description,
        Retired = label.Retired,
        Created = Timestamp.FromDateTimeOffset(label.Created),
    };
}
