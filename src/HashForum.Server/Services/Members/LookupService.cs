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
    /// <summary>Batches at least this large are searched in parallel.</summary>
    private const int ParallelThreshold = 256;

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
        return await engine.LookupHashAsync(request, resolved, LookupEngine.QueryField.Request, context.CancellationToken).ConfigureAwait(false);
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
        var count = request.Queries.Count;
        var resolved = new LookupEngine.Resolved[count];
        for (var i = 0; i < count; i++)
        {
            var own = request.Queries[i].Options;
            resolved[i] = own is null
                ? shared
                : await engine.ResolveAsync(own, LookupEngine.QueryField.Batch(i).Name("options"), context.CancellationToken).ConfigureAwait(false);
        }

        // The index part of each query is synchronous and lock-free: a large batch is searched on every core at once.
        // Queries with matches continue asynchronously (record reads) and are awaited in order below.
        var pending = new ValueTask<V1.LookupResponse>[count];
        var firstBad = int.MaxValue;
        RpcException? error = null;
        var chunks = count < ParallelThreshold ? 1 : Math.Min(Environment.ProcessorCount * 4, count / (ParallelThreshold / 4));
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, chunk =>
        {
            var (from, to) = ((int)((long)count * chunk / chunks), (int)((long)count * (chunk + 1) / chunks));
            for (var i = from; i < to; i++)
            {
                try
                {
#pragma warning disable CA2012 // Each one is awaited exactly once, in order, below.
                    pending[i] = engine.LookupHashAsync(request.Queries[i], resolved[i], LookupEngine.QueryField.Batch(i), context.CancellationToken);
#pragma warning restore CA2012
                }
                catch (RpcException ex)
                {
                    lock (pending)
                    {
                        if (i < firstBad)
                        {
                            (firstBad, error) = (i, ex);
                        }
                    }

                    return;
                }
            }
        });
        if (error is not null)
        {
            throw error;
        }

        var response = new V1.LookupBatchResponse();
        for (var i = 0; i < count; i++)
        {
            response.Results.Add(await pending[i].ConfigureAwait(false));
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
            var field = LookupEngine.QueryField.Stream(n);
            var resolved = query.Options is null
                ? defaults
                : await engine.ResolveAsync(query.Options, field.Name("options"), context.CancellationToken).ConfigureAwait(false);
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
