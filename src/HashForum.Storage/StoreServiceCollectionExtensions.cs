using HashForum.Storage.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace HashForum.Storage;

/// <summary>Registration of the store in a service collection.</summary>
public static class StoreServiceCollectionExtensions
{
    /// <summary>
    /// Binds and validates <see cref="HashForumStoreOptions"/> (at start) and registers <see cref="IHashStore"/> on one
    /// shared multiplexer, itself registered as <see cref="IConnectionMultiplexer"/> for the other libraries that keep
    /// data in the same store: to the configured Redis, or to the registered <see cref="IEmbeddedStoreServer"/> when none
    /// is configured. The server calls <c>AddHashForumStore</c> (HashForum.Storage.Garnet), which wraps this one.
    /// </summary>
    public static IServiceCollection AddHashForumRedisStore(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(HashForumStoreOptions.SectionName);
        services.AddOptions<HashForumStoreOptions>()
            .Bind(section)
            .PostConfigure(options => ApplyFlatSettings(options, section, configuration))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => StoreConnection.Connect(
            sp.GetRequiredService<IOptions<HashForumStoreOptions>>().Value,
            sp.GetService<IEmbeddedStoreServer>(),
            sp.GetService<ILoggerFactory>()?.CreateLogger("HashForum.Storage")));

        // The process's one multiplexer, for the other libraries that keep data in the same store (membership).
        services.TryAddSingleton<IConnectionMultiplexer>(sp => sp.GetRequiredService<StoreConnection>().Multiplexer);
        services.TryAddSingleton<IHashStore>(sp => new RedisHashStore(
            sp.GetRequiredService<StoreConnection>(),
            sp.GetRequiredService<IOptions<HashForumStoreOptions>>().Value,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILoggerFactory>()?.CreateLogger("HashForum.Storage")));
        return services;
    }

    /// <summary>
    /// Registers a <see cref="ChangeFeedFollower"/> that keeps the registered <see cref="IChangeSink"/> current, run
    /// as a hosted service.
    /// </summary>
    public static IServiceCollection AddHashForumChangeFeed(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(sp => new ChangeFeedFollower(
            sp.GetRequiredService<IHashStore>(),
            sp.GetRequiredService<IChangeSink>(),
            sp.GetRequiredService<IOptions<HashForumStoreOptions>>().Value,
            sp.GetService<ILogger<ChangeFeedFollower>>()));
        services.AddHostedService<ChangeFeedService>();
        return services;
    }

    /// <summary>
    /// <c>HASHFORUM_REDIS</c> and <c>HASHFORUM_DATA</c> (flat keys, e.g. environment variables) apply when the section
    /// leaves the setting unset.
    /// </summary>
    internal static void ApplyFlatSettings(HashForumStoreOptions options, IConfiguration section, IConfiguration root)
    {
        if (string.IsNullOrWhiteSpace(options.Redis))
        {
            options.Redis = root[HashForumStoreOptions.RedisVariable] is { Length: > 0 } redis ? redis : null;
        }

        if (string.IsNullOrEmpty(section[nameof(HashForumStoreOptions.DataPath)]) && root[HashForumStoreOptions.DataVariable] is { Length: > 0 } data)
        {
            options.DataPath = data;
        }
    }

    private sealed class ChangeFeedService(ChangeFeedFollower follower) : BackgroundService
    {
        protected override Task ExecuteAsync(CancellationToken stoppingToken) => follower.RunAsync(stoppingToken);
    }
}
