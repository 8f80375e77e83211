using Grpc.Core;
using HashForum.Membership;
using HashForum.Server.Auth;
using HashForum.Storage;
using Microsoft.Extensions.Options;
using V1 = HashForum.Contracts.V1;

namespace HashForum.Server.Services.Members;

/// <summary>Lookup at upload time: by image, by hash, in batches and streams.</summary>
[RequiresScope(Scopes.Lookup)]
internal sealed class LookupService(LookupEngine engine, ImageHashing hashing, IHashStore store, IOptions<MemberApiOptions> options)
    : V1.LookupService.LookupServiceBase
{
    public override async Task<V1.LookupResponse> LookupImage(V1.LookupImageRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var resolved = await engine.ResolveAsync(request.Options, "options", context.CancellationToken).ConfigureAwait(false);
        var hashes = hashing.Hash(request.Image.Span, "image", resolved.Dihedral, out var variants);
        return await engine.LookupImageAsync(hashes, variants, resolved, context.CancellationToken).ConfigureAwait(false);
    }

    public override async Task<V1.LookupResponse> LookupHash(V1.LookupHashRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var resolved = await engine.ResolveAsync(request.Options, "options", context.CancellationToken).ConfigureAwait(false);
        return await engine.LookupHashAsync(request, resolved, string.Empty, context.CancellationToken).ConfigureAwait(false);
    }

    public override async Task<V1.LookupBatchResponse> LookupBatch(V1.LookupBatchRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var max = options.Value.MaxBatchSize;
        if (request.Queries.Count > max)
        {
            throw RequestErrors.Invalid("queries", $"at most {max} queries per batch; got {request.Queries.Count}. Split the batch.");
        }

        var shared = await engine.ResolveAsync(request.Options, "options", context.CancellationToken).ConfigureAwait(false);
        var response = new V1.LookupBatchResponse();
        for (var i = 0; i < request.Queries.Count; i++)
        {
            var query = request.Queries[i];
            var field = "queries[" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]";
            var resolved = query.Options is null
                ? shared
                : await engine.ResolveAsync(query.Options, field + ".options", context.CancellationToken).ConfigureAwait(false);
            response.Results.Add(await engine.LookupHashAsync(query, resolved, field, context.CancellationToken).ConfigureAwait(false));
        }

        return response;
    }

    public override async Task LookupStream(
        IAsyncStreamReader<V1.LookupHashRequest> requestStream, IServerStreamWriter<V1.LookupResponse> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        var defaults = await engine.ResolveAsync(null, "options", context.CancellationToken).ConfigureAwait(false);
        var n = 0;
        while (await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false))
        {
            var query = requestStream.Current;
            var field = "message " + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var resolved = query.Options is null
                ? defaults
                : await engine.ResolveAsync(query.Options, field + ".options", context.CancellationToken).ConfigureAwait(false);
            await responseStream.WriteAsync(
                await engine.LookupHashAsync(query, resolved, field, context.CancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
            n++;
        }
    }

    public override async Task<V1.HashRecord> GetRecord(V1.GetRecordRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        if (request.Id <= 0)
        {
            throw RequestErrors.Invalid("id", $"record ids are positive; got {request.Id}.");
        }

        var record = await store.GetAsync(request.Id, context.CancellationToken).ConfigureAwait(false) ?? throw RequestErrors.NotFound(request.Id);
        return record.ToProto();
    }
}
