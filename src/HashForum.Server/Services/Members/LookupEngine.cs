using System.Globalization;
using HashForum.Hashing.Pdq;
using HashForum.Index;
using HashForum.Server.Indexing;
using HashForum.Storage;
using Microsoft.Extensions.Options;
using V1 = HashForum.Contracts.V1;

namespace HashForum.Server.Services.Members;

/// <summary>
/// Answers lookups: PDQ through the in-memory index, MD5 / SHA-256 through the store's value keys, and the matched
/// records' details from the store. A query that matches nothing (the common case) costs no store round trip.
/// </summary>
internal sealed class LookupEngine(IndexSink sink, IHashStore store, LabelTaxonomy labels, IOptions<MemberApiOptions> options)
{
    private static readonly string[] s_variantNames =
        [.. Enum.GetValues<DihedralVariant>().Select(v => v.ToName())];

    [ThreadStatic]
    private static List<IndexMatch>? t_results;

    private readonly MemberApiOptions _options = options.Value;

    /// <summary>Options checked once: the radius (capped), whether dihedral, the label filter.</summary>
    public readonly record struct Resolved(int MaxDistance, bool Dihedral, HashSet<string>? Labels);

    public async ValueTask<Resolved> ResolveAsync(V1.LookupOptions? given, string field, CancellationToken cancellationToken)
    {
        if (given is null)
        {
            return new Resolved(Math.Min(PdqHash.DefaultMatchDistance, _options.MaxDistanceCap), false, null);
        }

        var distance = given.HasMaxDistance ? given.MaxDistance : PdqHash.DefaultMatchDistance;
        if (distance < 0)
        {
            throw RequestErrors.Invalid(field + ".max_distance", $"a Hamming distance is 0 to {PdqIndex.MaxRadius}; got {distance}.");
        }

        HashSet<string>? filter = null;
        if (given.Labels.Count > 0)
        {
            await labels.CheckAsync(given.Labels, field + ".labels", allowRetired: true, cancellationToken).ConfigureAwait(false);
            filter = new HashSet<string>(given.Labels, StringComparer.Ordinal);
        }

        return new Resolved(Math.Min(distance, _options.MaxDistanceCap), given.Dihedral, filter);
    }

    /// <summary>
    /// Where a query sits in its request, for error messages only: the whole request, <c>queries[i]</c> of a batch, or
    /// <c>message i</c> of a stream. A value, so that a batch names its queries without a string per query.
    /// </summary>
    public readonly record struct QueryField(string? Collection, int Index)
    {
        public static QueryField Request => default;

        public static QueryField Batch(int index) => new("queries", index);

        public static QueryField Stream(int index) => new("message", index);

        /// <summary>The query itself: <c>query</c>, <c>queries[3]</c>, <c>message 3</c>.</summary>
        public string Name() => Collection switch
        {
            null => "query",
            "queries" => string.Create(CultureInfo.InvariantCulture, $"queries[{Index}]"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{Collection} {Index}"),
        };

        /// <summary>A field of the query: <c>pdq</c>, <c>queries[3].pdq</c>, <c>message 3.pdq</c>.</summary>
        public string Name(string field) => Collection is null ? field : Name() + "." + field;
    }

    /// <summary>A hash query (one of a batch or a stream when <paramref name="field"/> says so).</summary>
    public ValueTask<V1.LookupResponse> LookupHashAsync(
        V1.LookupHashRequest query, Resolved resolved, QueryField field, CancellationToken cancellationToken)
    {
        if (resolved.Dihedral)
        {
            throw RequestErrors.Invalid(field.Name("options.dihedral"),
                "the dihedral variants come from an image's DCT and cannot be derived from a hash; send the image, or hash the variants on your side and look each up.");
        }

        if (query.HasQuality && (query.Quality < 0 || query.Quality > 100))
        {
            throw RequestErrors.Invalid(field.Name("quality"), $"PDQ quality is 0 to 100; got {query.Quality}.");
        }

        switch (query.QueryCase)
        {
            case V1.LookupHashRequest.QueryOneofCase.Pdq:
                if (!Hash256.TryParse(query.Pdq, out var hash, out var error))
                {
                    throw RequestErrors.Invalid(field.Name("pdq"), error);
                }

                return LookupPdqAsync(hash, query, resolved, cancellationToken);
            case V1.LookupHashRequest.QueryOneofCase.PdqBytes:
                if (query.PdqBytes.Length != Hash256.ByteLength)
                {
                    throw RequestErrors.Invalid(field.Name("pdq_bytes"), $"a PDQ hash is {Hash256.ByteLength} bytes; got {query.PdqBytes.Length}.");
                }

                return LookupPdqAsync(Hash256.FromBytes(query.PdqBytes.Span), query, resolved, cancellationToken);
            case V1.LookupHashRequest.QueryOneofCase.Md5:
                return LookupExactAsync(SignalType.Md5, Normalize(SignalType.Md5, query.Md5, field.Name("md5")), resolved, cancellationToken);
            case V1.LookupHashRequest.QueryOneofCase.Sha256:
                return LookupExactAsync(SignalType.Sha256, Normalize(SignalType.Sha256, query.Sha256, field.Name("sha256")), resolved, cancellationToken);
            default:
                throw RequestErrors.Invalid(field.Name(), "set one of pdq, pdq_bytes, md5 or sha256.");
        }
    }

    /// <summary>An image's hashes and matches: PDQ (with its variants when dihedral) and both digests.</summary>
    public async Task<V1.LookupResponse> LookupImageAsync(
        V1.ImageHashes hashes, DihedralHashes variants, Resolved resolved, CancellationToken cancellationToken)
    {
        var response = new V1.LookupResponse { Hashes = hashes, MaxDistance = resolved.MaxDistance };
        if (hashes.Quality < PdqHash.MinimumUsefulQuality)
        {
            response.LowQuality = true;
        }
        else
        {
            var found = t_results ??= [];
            if (resolved.Dihedral)
            {
                Span<Hash256> queries = stackalloc Hash256[8];
                for (var v = 0; v < 8; v++)
                {
                    queries[v] = variants[(DihedralVariant)v];
                }

                ReadyIndex().SearchMany(queries, resolved.MaxDistance, found);
            }
            else
            {
                ReadyIndex().Search(Hash256.Parse(hashes.Pdq), resolved.MaxDistance, found);
            }

            var matches = Take(found);
            if (matches.Length > 0)
            {
                await AddPdqMatchesAsync(response, matches, resolved, cancellationToken).ConfigureAwait(false);
            }
        }

        await AddExactMatchesAsync(response, SignalType.Md5, hashes.Md5, resolved, cancellationToken).ConfigureAwait(false);
        await AddExactMatchesAsync(response, SignalType.Sha256, hashes.Sha256, resolved, cancellationToken).ConfigureAwait(false);
        return response;
    }

    private ValueTask<V1.LookupResponse> LookupPdqAsync(
        Hash256 hash, V1.LookupHashRequest query, Resolved resolved, CancellationToken cancellationToken)
    {
        var response = new V1.LookupResponse { MaxDistance = resolved.MaxDistance };
        if (query.HasQuality && query.Quality < PdqHash.MinimumUsefulQuality)
        {
            response.LowQuality = true;
            return ValueTask.FromResult(response);
        }

        var found = t_results ??= [];
        ReadyIndex().Search(hash, resolved.MaxDistance, found);
        if (found.Count == 0)
        {
            return ValueTask.FromResult(response);
        }

        return Slow(response, Take(found));

        async ValueTask<V1.LookupResponse> Slow(V1.LookupResponse r, IndexMatch[] matches)
        {
            await AddPdqMatchesAsync(r, matches, resolved, cancellationToken).ConfigureAwait(false);
            return r;
        }
    }

    private async ValueTask<V1.LookupResponse> LookupExactAsync(
        SignalType signal, string value, Resolved resolved, CancellationToken cancellationToken)
    {
        var response = new V1.LookupResponse { MaxDistance = resolved.MaxDistance };
        await AddExactMatchesAsync(response, signal, value, resolved, cancellationToken).ConfigureAwait(false);
        return response;
    }

    /// <summary>
    /// The index, once the first load from the store is in it: before that an empty index would answer "no match"
    /// for hashes that are in the shared set, so PDQ lookups are refused as UNAVAILABLE instead.
    /// </summary>
    private PdqIndex ReadyIndex() => sink.IsReady
        ? sink.Index
        : throw new Grpc.Core.RpcException(new Grpc.Core.Status(Grpc.Core.StatusCode.Unavailable,
            "The PDQ index is still loading from the store; retry in a few seconds (grpc.health reports SERVING once it is ready)."));

    private IndexMatch[] Take(List<IndexMatch> found)
    {
        var count = Math.Min(found.Count, _options.MaxMatchesPerQuery);
        var matches = found.GetRange(0, count).ToArray();
        found.Clear();
        return matches;
    }

    private async Task AddPdqMatchesAsync(V1.LookupResponse response, IndexMatch[] matches, Resolved resolved, CancellationToken cancellationToken)
    {
        var records = await Task.WhenAll(matches.Select(m => store.GetAsync(m.Id, cancellationToken))).ConfigureAwait(false);
        for (var i = 0; i < matches.Length; i++)
        {
            if (records[i] is { Status: RecordStatus.Active } record && Passes(record, resolved))
            {
                var variant = resolved.Dihedral ? s_variantNames[matches[i].QueryIndex] : s_variantNames[0];
                response.Matches.Add(record.ToMatch(matches[i].Distance, variant));
            }
        }
    }

    private async Task AddExactMatchesAsync(
        V1.LookupResponse response, SignalType signal, string value, Resolved resolved, CancellationToken cancellationToken)
    {
        var records = await store.FindByValueAsync(signal, value, cancellationToken).ConfigureAwait(false);
        foreach (var record in records.OrderBy(r => r.Id))
        {
            if (record.Status == RecordStatus.Active && Passes(record, resolved))
            {
                response.Matches.Add(record.ToMatch(0, s_variantNames[0]));
            }
        }
    }

    private static bool Passes(HashRecord record, Resolved resolved)
    {
        if (resolved.Labels is null)
        {
            return true;
        }

        foreach (var label in record.Labels)
        {
            if (resolved.Labels.Contains(label))
            {
                return true;
            }
        }

        return false;
    }

    public static string Normalize(SignalType signal, string value, string field)
    {
        try
        {
            return signal.NormalizeValue(value);
        }
        catch (ArgumentException ex)
        {
            throw RequestErrors.Invalid(field, ex.Message.Replace(" (Parameter 'value')", string.Empty, StringComparison.Ordinal));
        }
    }
}
