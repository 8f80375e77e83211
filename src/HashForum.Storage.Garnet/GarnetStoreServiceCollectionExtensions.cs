using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HashForum.Storage.Garnet;

/// <summary>The composition root's entry to storage.</summary>
public static class GarnetStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers the record store: the Redis named by <c>HASHFORUM_REDIS</c> (or <c>HashForum:Store:Redis</c>) when
    /// set, otherwise an embedded Garnet server with its data in <c>HASHFORUM_DATA</c> (default <c>./data</c>),
    /// started on first use. Either way the same storage code talks RESP to it.
    /// </summary>
    public static IServiceCollection AddHashForumStore(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<EmbeddedGarnetOptions>()
            .Bind(configuration.GetSection(EmbeddedGarnetOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // Only started if no Redis is configured (StoreConnection asks for it then).
        services.TryAddSingleton<IEmbeddedStoreServer>(sp => new EmbeddedGarnetServer(
            sp.GetRequiredService<IOptions<HashForumStoreOptions>>().Value.DataPath,
            sp.GetRequiredService<IOptions<EmbeddedGarnetOptions>>().Value,
            sp.GetService<ILoggerFactory>()));
        return services.AddHashForumRedisStore(configuration);
    }
}
