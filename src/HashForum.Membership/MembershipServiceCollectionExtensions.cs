using HashForum.Membership.Internal;
using HashForum.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace HashForum.Membership;

/// <summary>Registration of members, keys, rate limits and the audit log.</summary>
public static class MembershipServiceCollectionExtensions
{
    /// <summary>
    /// Binds and validates <see cref="MembershipOptions"/> (at start; <c>HASHFORUM_PEPPER</c> fills the pepper) and
    /// registers <see cref="IMembershipStore"/>, <see cref="IAuditLog"/>, <see cref="AuditWriter"/>,
    /// <see cref="KeyValidator"/> and <see cref="MemberRateLimiter"/> on the store's Redis. Call after the store's
    /// registration (<c>AddHashForumStore</c>).
    /// </summary>
    public static IServiceCollection AddHashForumMembership(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<MembershipOptions>()
            .Bind(configuration.GetSection(MembershipOptions.SectionName))
            .PostConfigure(options =>
            {
                if (string.IsNullOrWhiteSpace(options.Pepper) && configuration[MembershipOptions.PepperVariable] is { Length: > 0 } pepper)
                {
                    options.Pepper = pepper;
                }
            })
            .ValidateDataAnnotations()
            .Validate(ValidPepper, "HASHFORUM_PEPPER (HashForum:Membership:Pepper) must be hex or base64 of at least 32 random bytes; generate one with: openssl rand -hex 32")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => MembershipConnection.Create(
            sp.GetService<IConnectionMultiplexer>(),
            sp.GetRequiredService<IOptions<HashForumStoreOptions>>().Value,
            sp.GetService<IEmbeddedStoreServer>(),
            Logger(sp)));
        services.TryAddSingleton(sp => PepperLoader.Load(
            sp.GetRequiredService<IOptions<MembershipOptions>>().Value,
            sp.GetRequiredService<IOptions<HashForumStoreOptions>>().Value.DataPath,
            Logger(sp)));
        services.TryAddSingleton<IMembershipStore>(sp => new RedisMembershipStore(
            sp.GetRequiredService<MembershipConnection>().Multiplexer,
            sp.GetRequiredService<Pepper>(),
            sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<IAuditLog>(sp => new RedisAuditLog(
            sp.GetRequiredService<MembershipConnection>().Multiplexer,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<MembershipOptions>>().Value.AuditCapacity));
        services.TryAddSingleton<AuditWriter>();
        services.TryAddSingleton<KeyValidator>();
        services.TryAddSingleton<MemberRateLimiter>();
        return services;
    }

    /// <summary>
    /// Subscribes the validator to invalidations and checks the pepper against the store (logging a mismatch).
    /// Called once at server start.
    /// </summary>
    public static async Task StartMembershipAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(services);
        var connection = services.GetRequiredService<MembershipConnection>();
        await services.GetRequiredService<KeyValidator>().SubscribeAsync(connection.Multiplexer).ConfigureAwait(false);
        if (!await services.GetRequiredService<IMembershipStore>().CheckPepperAsync(cancellationToken).ConfigureAwait(false))
        {
            MembershipLog.PepperMismatch(Logger(services));
        }
    }

    private static bool ValidPepper(MembershipOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Pepper))
        {
            return true;
        }

        try
        {
            _ = Pepper.Parse(options.Pepper);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static ILogger Logger(IServiceProvider sp) =>
        sp.GetRequiredService<ILoggerFactory>().CreateLogger("HashForum.Membership");
}
