using System.Text.Json;
using System.Text.RegularExpressions;
using HashForum.Storage;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace HashForum.Server.Services.Members;

/// <summary>One label of the taxonomy.</summary>
internal sealed record LabelEntry(string Id, string Name, string Description, bool Retired, DateTimeOffset Created);

/// <summary>
/// The forum's label taxonomy: data in the store that operators manage (add, retire), seeded on first use with the
/// behaviour-based categories GIFCT publishes for its hash-sharing database. Each server keeps a copy for
/// <see cref="MemberApiOptions.LabelCacheDuration"/>, so checking labels costs no store round trip.
/// </summary>
/// <remarks>
/// <code>
/// hf:v1:{labels}:taxonomy   hash   label id -> JSON {name, description, retired, created}
/// hf:v1:{labels}:feedback:ID hash  member -> label a member suggested with its feedback on record ID
/// </code>
/// Seeding uses HSETNX per label, so a seed label an operator retired stays retired.
/// </remarks>
internal sealed partial class LabelTaxonomy : IDisposable
{
    public const string TaxonomyKey = "hf:v1:{labels}:taxonomy";
    public const string FeedbackKeyPrefix = "hf:v1:{labels}:feedback:";

    /// <summary>GIFCT's behaviour-based labels (hash-sharing database taxonomy).</summary>
    public static readonly IReadOnlyList<(string Id, string Name, string Description)> Seed =
    [
        ("imminent-credible-threat", "Imminent credible threat",
            "A public posting of a specific, imminent, credible threat of violence toward non-combatants or civilian infrastructure."),
        ("graphic-violence", "Graphic violence against defenceless people",
            "Content depicting graphic violence against defenceless people (e.g. execution, torture, mutilation)."),
        ("glorification", "Glorification of terrorist acts",
            "Content glorifying, praising or celebrating terrorist acts or their perpetrators."),
        ("radicalisation-recruitment-instruction", "Radicalisation, recruitment and instruction",
            "Content that radicalises, recruits, or instructs in carrying out terrorist acts."),
        ("attacker-content", "Attacker manifestos and perpetrator-produced attack content",
            "Manifestos of attackers and content produced by perpetrators during an attack (e.g. livestreams)."),
    ];

    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);

    private readonly IConnectionMultiplexer _redis;
    private readonly bool _ownsConnection;
    private readonly TimeProvider _time;
    private readonly TimeSpan _cacheFor;
    private readonly ILogger<LabelTaxonomy> _logger;
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private volatile Snapshot? _snapshot;
    private bool _seeded;

    public LabelTaxonomy(
        IServiceProvider services, IOptions<HashForumStoreOptions> store, IOptions<MemberApiOptions> options, TimeProvider time,
        ILogger<LabelTaxonomy> logger)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        _time = time;
        _cacheFor = options.Value.LabelCacheDuration;
        _logger = logger;
        if (services.GetService<IConnectionMultiplexer>() is { } shared)
        {
            _redis = shared;
            return;
        }

        var config = StoreConnectionSettings.Create(store.Value, services.GetService<IEmbeddedStoreServer>(), "hashforum-labels");
        _redis = ConnectionMultiplexer.Connect(config);
        _ownsConnection = true;
    }

    /// <summary>Every label (retired ones too), by id.</summary>
    public async Task<IReadOnlyDictionary<string, LabelEntry>> GetAsync(CancellationToken cancellationToken)
    {
        var snapshot = _snapshot;
        if (snapshot is not null && _time.GetUtcNow() - snapshot.Read < _cacheFor)
        {
            return snapshot.Labels;
        }

        await _refresh.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            snapshot = _snapshot;
            if (snapshot is not null && _time.GetUtcNow() - snapshot.Read < _cacheFor)
            {
                return snapshot.Labels;
            }

            return (await ReloadAsync().ConfigureAwait(false)).Labels;
        }
        finally
        {
            _refresh.Release();
        }
    }

    /// <summary>Checks that every label exists and (unless <paramref name="allowRetired"/>) is not retired.</summary>
    /// <exception cref="Grpc.Core.RpcException">INVALID_ARGUMENT naming <c>field[i]</c> and listing the labels in use.</exception>
    public async Task CheckAsync(
        IReadOnlyList<string> labels, string field, bool allowRetired, CancellationToken cancellationToken, bool indexed = true)
    {
        if (labels.Count == 0)
        {
            return;
        }

        var known = await GetAsync(cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < labels.Count; i++)
        {
            var ok = known.TryGetValue(labels[i], out var entry);
            if (ok && (allowRetired || !entry!.Retired))
            {
                continue;
            }

            var active = string.Join(", ", known.Values.Where(l => !l.Retired).Select(l => l.Id).Order(StringComparer.Ordinal));
            var why = ok ? $"the label '{labels[i]}' is retired" : $"unknown label '{labels[i]}'";
            throw RequestErrors.Invalid(indexed ? $"{field}[{i}]" : field, $"{why}; the labels in use are: {active}.");
        }
    }

    public async Task<LabelEntry> AddAsync(string id, string name, string description, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(id) || !LabelId().IsMatch(id))
        {
            throw RequestErrors.Invalid("id", "a label id is 1 to 64 characters: lower-case letters, digits and hyphens, starting with a letter or digit.");
        }

        if (string.IsNullOrWhiteSpace(name) || name.Length > 200)
        {
            throw RequestErrors.Invalid("name", "a label needs a name of 1 to 200 characters.");
        }

        if (description.Length > 2000)
        {
            throw RequestErrors.Invalid("description", "at most 2000 characters.");
        }

        await EnsureSeededAsync().ConfigureAwait(false);
        var db = _redis.GetDatabase();
        var existing = await db.HashGetAsync(TaxonomyKey, id).ConfigureAwait(false);
        if (existing.HasValue && !Parse(id, existing!).Retired)
        {
            throw new Grpc.Core.RpcException(new Grpc.Core.Status(Grpc.Core.StatusCode.AlreadyExists, $"The label '{id}' already exists."));
        }

        var entry = new LabelEntry(id, name.Trim(), description.Trim(), false, _time.GetUtcNow());
        await db.HashSetAsync(TaxonomyKey, id, Serialize(entry)).ConfigureAwait(false);
        _snapshot = null;
        return entry;
    }

    public async Task<LabelEntry> RetireAsync(string id, CancellationToken cancellationToken)
    {
        var known = await GetAsync(cancellationToken).ConfigureAwait(false);
        if (!known.TryGetValue(id, out var entry))
        {
            throw new Grpc.Core.RpcException(new Grpc.Core.Status(Grpc.Core.StatusCode.NotFound, $"There is no label '{id}'."));
        }

        var retired = entry with { Retired = true };
        await _redis.GetDatabase().HashSetAsync(TaxonomyKey, id, Serialize(retired)).ConfigureAwait(false);
        _snapshot = null;
        return retired;
    }

    /// <summary>Keeps the label a member suggested with its feedback (or clears it).</summary>
    public Task SetFeedbackLabelAsync(long recordId, string member, string? label)
    {
        var key = FeedbackKeyPrefix + recordId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var db = _redis.GetDatabase();
        return string.IsNullOrEmpty(label) ? db.HashDeleteAsync(key, member) : db.HashSetAsync(key, member, label);
    }

    public void Dispose()
    {
        _refresh.Dispose();
        if (_ownsConnection)
        {
            _redis.Dispose();
        }
    }

    private async Task<Snapshot> ReloadAsync()
    {
        try
        {
            await EnsureSeededAsync().ConfigureAwait(false);
            var entries = await _redis.GetDatabase().HashGetAllAsync(TaxonomyKey).ConfigureAwait(false);
            var labels = new Dictionary<string, LabelEntry>(StringComparer.Ordinal);
            foreach (var entry in entries)
            {
                labels[entry.Name!] = Parse(entry.Name!, entry.Value!);
            }

            var snapshot = new Snapshot(labels, _time.GetUtcNow());
            _snapshot = snapshot;
            return snapshot;
        }
        catch (RedisException ex)
        {
            throw new StoreUnavailableException("The label taxonomy could not be read.", ex);
        }
    }

    private async Task EnsureSeededAsync()
    {
        if (_seeded)
        {
            return;
        }

        var db = _redis.GetDatabase();
        var added = 0;
        var now = _time.GetUtcNow();
        foreach (var (id, name, description) in Seed)
        {
            if (await db.HashSetAsync(TaxonomyKey, id, Serialize(new LabelEntry(id, name, description, false, now)), When.NotExists).ConfigureAwait(false))
            {
                added++;
            }
        }

        if (added > 0)
        {
            MemberApiLog.TaxonomySeeded(_logger, added);
        }

        _seeded = true;
    }

    private static string Serialize(LabelEntry entry) => JsonSerializer.Serialize(
        new StoredLabel(entry.Name, entry.Description, entry.Retired, entry.Created), s_json);

    private static LabelEntry Parse(string id, string json)
    {
        var stored = JsonSerializer.Deserialize<StoredLabel>(json, s_json)!;
        return new LabelEntry(id, stored.Name, stored.Description, stored.Retired, stored.Created);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,63}$")]
    private static partial Regex LabelId();

    private sealed record StoredLabel(string Name, string Description, bool Retired, DateTimeOffset Created);

    private sealed record Snapshot(IReadOnlyDictionary<string, LabelEntry> Labels, DateTimeOffset Read);
}
