using Grpc.Core;
using HashForum.Hashing.Pdq;
using HashForum.Membership;
using HashForum.Server.Auth;
using HashForum.Storage;
using Microsoft.Extensions.Options;
using V1 = HashForum.Contracts.V1;

namespace HashForum.Server.Services.Members;

/// <summary>Contribute, retract, relabel and feedback.</summary>
[RequiresScope(Scopes.Contribute)]
internal sealed class ContributeService(
    IHashStore store, ImageHashing hashing, LabelTaxonomy labels, IOptions<MemberApiOptions> options, ILogger<ContributeService> logger)
    : V1.ContributeService.ContributeServiceBase
{
    public override async Task<V1.ContributeResponse> Contribute(V1.ContributeRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var caller = context.GetCaller();
        if (request.HasQuality && (request.Quality < 0 || request.Quality > 100))
        {
            throw RequestErrors.Invalid("quality", $"PDQ quality is 0 to 100; got {request.Quality}.");
        }

        var signals = new List<(SignalType Signal, string Value, int? Quality)>(3);
        switch (request.SubjectCase)
        {
            case V1.ContributeRequest.SubjectOneofCase.Image:
                var hashes = hashing.Hash(request.Image.Span, "image", dihedral: false, out _);
                if (hashes.Quality < PdqHash.MinimumUsefulQuality)
                {
                    throw RequestErrors.LowQuality(hashes.Quality);
                }

                signals.Add((SignalType.Pdq, hashes.Pdq, hashes.Quality));
                signals.Add((SignalType.Md5, hashes.Md5, null));
                signals.Add((SignalType.Sha256, hashes.Sha256, null));
                break;
            case V1.ContributeRequest.SubjectOneofCase.Pdq:
                if (!Hash256.TryParse(request.Pdq, out var pdq, out var error))
                {
                    throw RequestErrors.Invalid("pdq", error);
                }

                if (request.HasQuality && request.Quality < PdqHash.MinimumUsefulQuality)
                {
                    throw RequestErrors.LowQuality(request.Quality);
                }

                signals.Add((SignalType.Pdq, pdq.ToString(), request.HasQuality ? request.Quality : null));
                break;
            case V1.ContributeRequest.SubjectOneofCase.Md5:
                signals.Add((SignalType.Md5, LookupEngine.Normalize(SignalType.Md5, request.Md5, "md5"), null));
                break;
            case V1.ContributeRequest.SubjectOneofCase.Sha256:
                signals.Add((SignalType.Sha256, LookupEngine.Normalize(SignalType.Sha256, request.Sha256, "sha256"), null));
                break;
            default:
                throw RequestErrors.Invalid("subject", "set one of image, pdq, md5 or sha256.");
        }

        await labels.CheckAsync(request.Labels, "labels", allowRetired: false, context.CancellationToken).ConfigureAwait(false);
        CheckText(request.Note, "note", 2000);
        CheckText(request.Reference, "reference", 200);
        var response = new V1.ContributeResponse();
        foreach (var (signal, value, quality) in signals)
        {
            var result = await store.ContributeAsync(
                new Contribution
                {
                    Signal = signal,
                    Value = value,
                    Member = caller.MemberId,
                    Quality = quality,
                    Labels = [.. request.Labels],
                    Note = string.IsNullOrEmpty(request.Note) ? null : request.Note,
                    Reference = string.IsNullOrEmpty(request.Reference) ? null : request.Reference,
                },
                context.CancellationToken).ConfigureAwait(false);
            MemberApiLog.Contributed(logger, result.Record.Id, signal.ToWireName(), caller.MemberId, result.Created);
            response.Records.Add(result.Record.ToProto());
            response.Created.Add(result.Created);
        }

        return response;
    }

    public override async Task<V1.ContributeBatchResponse> ContributeBatch(V1.ContributeBatchRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var caller = context.GetCaller();
        if (request.Items.Count > options.Value.MaxBatchSize)
        {
            throw RequestErrors.Invalid("items", $"at most {options.Value.MaxBatchSize} items per batch; got {request.Items.Count}. Split the batch.");
        }

        var contributions = new Contribution[request.Items.Count];
        var checkedLabels = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < contributions.Length; i++)
        {
            var item = request.Items[i];
            var field = "items[" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]";
            if (item.HasQuality && (item.Quality < 0 || item.Quality > 100))
            {
                throw RequestErrors.Invalid(field + ".quality", $"PDQ quality is 0 to 100; got {item.Quality}.");
            }

            var (signal, value) = item.SubjectCase switch
            {
                V1.ContributeRequest.SubjectOneofCase.Pdq => (SignalType.Pdq, LookupEngine.Normalize(SignalType.Pdq, item.Pdq, field + ".pdq")),
                V1.ContributeRequest.SubjectOneofCase.Md5 => (SignalType.Md5, LookupEngine.Normalize(SignalType.Md5, item.Md5, field + ".md5")),
                V1.ContributeRequest.SubjectOneofCase.Sha256 => (SignalType.Sha256, LookupEngine.Normalize(SignalType.Sha256, item.Sha256, field + ".sha256")),
                V1.ContributeRequest.SubjectOneofCase.Image => throw RequestErrors.Invalid(field + ".image", "a batch holds hashes only; contribute images one by one, or hash them first."),
                _ => throw RequestErrors.Invalid(field, "set one of pdq, md5 or sha256."),
            };
            if (signal == SignalType.Pdq && item.HasQuality && item.Quality < PdqHash.MinimumUsefulQuality)
            {
                throw new RpcException(new Status(StatusCode.FailedPrecondition, $"{field}: " + RequestErrors.LowQuality(item.Quality).Status.Detail));
            }

            // Label sets repeat across a batch: check each distinct label once.
            foreach (var label in item.Labels)
            {
                if (checkedLabels.Add(label))
                {
                    await labels.CheckAsync([label], field + ".labels", allowRetired: false, context.CancellationToken, indexed: false).ConfigureAwait(false);
                }
            }

            CheckText(item.Note, field + ".note", 2000);
            CheckText(item.Reference, field + ".reference", 200);
            contributions[i] = new Contribution
            {
                Signal = signal,
                Value = value,
                Member = caller.MemberId,
                Quality = signal == SignalType.Pdq && item.HasQuality ? item.Quality : null,
                Labels = item.Labels.Count == 0 ? [] : [.. item.Labels],
                Note = string.IsNullOrEmpty(item.Note) ? null : item.Note,
                Reference = string.IsNullOrEmpty(item.Reference) ? null : item.Reference,
            };
        }

        var results = await store.ContributeManyAsync(contributions, context.CancellationToken).ConfigureAwait(false);
        var response = new V1.ContributeBatchResponse();
        foreach (var result in results)
        {
            response.Ids.Add(result.Id);
            response.Created.Add(result.Created);
        }

        MemberApiLog.ContributedBatch(logger, results.Count, results.Count(r => r.Created), caller.MemberId);
        return response;
    }

    public override async Task<V1.HashRecord> Retract(V1.RetractRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var caller = context.GetCaller();
        var record = await GetAsync(request.Id, context.CancellationToken).ConfigureAwait(false);
        if (record.Member != caller.MemberId && caller.Kind != MemberKind.Operator)
        {
            throw RequestErrors.NotYours(record.Id, record.Member, "retract");
        }

        var retracted = await store.RetractAsync(record.Id, caller.MemberId, context.CancellationToken).ConfigureAwait(false)
            ?? throw RequestErrors.NotFound(record.Id);
        MemberApiLog.Retracted(logger, record.Id, caller.MemberId);
        return retracted.ToProto();
    }

    public override async Task<V1.HashRecord> Relabel(V1.RelabelRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var caller = context.GetCaller();
        var record = await GetAsync(request.Id, context.CancellationToken).ConfigureAwait(false);
        if (record.Member != caller.MemberId)
        {
            throw RequestErrors.NotYours(record.Id, record.Member, "relabel");
        }

        await labels.CheckAsync(request.Labels, "labels", allowRetired: false, context.CancellationToken).ConfigureAwait(false);
        var relabeled = await store.RelabelAsync(record.Id, [.. request.Labels], context.CancellationToken).ConfigureAwait(false)
            ?? throw RequestErrors.NotFound(record.Id);
        MemberApiLog.Relabeled(logger, record.Id, caller.MemberId);
        return relabeled.ToProto();
    }

    public override async Task<V1.HashRecord> Feedback(V1.FeedbackRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var caller = context.GetCaller();
        var opinion = request.Opinion switch
        {
            V1.Opinion.Unspecified => FeedbackOpinion.None,
            V1.Opinion.Agree => FeedbackOpinion.Positive,
            V1.Opinion.Disagree => FeedbackOpinion.Negative,
            _ => throw RequestErrors.Invalid("opinion", $"unknown opinion {(int)request.Opinion}; use OPINION_AGREE, OPINION_DISAGREE or OPINION_UNSPECIFIED (clears)."),
        };
        if (request.Label.Length > 0)
        {
            await labels.CheckAsync([request.Label], "label", allowRetired: false, context.CancellationToken, indexed: false).ConfigureAwait(false);
        }

        var record = await GetAsync(request.Id, context.CancellationToken).ConfigureAwait(false);
        var updated = await store.SetFeedbackAsync(record.Id, caller.MemberId, opinion, context.CancellationToken).ConfigureAwait(false)
            ?? throw RequestErrors.NotFound(record.Id);
        await labels.SetFeedbackLabelAsync(record.Id, caller.MemberId, opinion == FeedbackOpinion.None ? null : request.Label).ConfigureAwait(false);
        return updated.ToProto();
    }

    private async Task<HashRecord> GetAsync(long id, CancellationToken cancellationToken)
    {
        if (id <= 0)
        {
            throw RequestErrors.Invalid("id", $"record ids are positive; got {id}.");
        }

        return await store.GetAsync(id, cancellationToken).ConfigureAwait(false) ?? throw RequestErrors.NotFound(id);
    }

    private static void CheckText(string text, string field, int max)
    {
        if (text.Length > max)
        {
            throw RequestErrors.Invalid(field, $"at most {max} characters; got {text.Length}.");
        }

        if (text.Any(c => char.IsControl(c) && c is not '\n' and not '\t'))
        {
            throw RequestErrors.Invalid(field, "control characters are not allowed.");
        }
    }
}
