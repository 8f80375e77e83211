using HashForum.Storage;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace HashForum.Membership.Internal;

/// <summary>
/// The Redis connection membership data goes through: the process's shared <see cref="IConnectionMultiplexer"/>
/// when one is registered, otherwise one of its own to the same store (the configured Redis, or the embedded
/// server), set up like the store's (<see cref="StoreConnectionSettings"/>).
/// </summary>
internal sealed class MembershipConnection : IDisposable
{
    private readonly bool _owned;

    private MembershipConnection(IConnectionMultiplexer multiplexer, bool owned)
    {
        Multiplexer = multiplexer;
        _owned = owned;
    }

    public IConnectionMultiplexer Multiplexer { get; }

    public static MembershipConnection Create(
        IConnectionMultiplexer? shared, HashForumStoreOptions options, IEmbeddedStoreServer? embedded, ILogger logger)
    {
        if (shared is not null)
        {
            return new MembershipConnection(shared, owned: false);
        }

        var config = StoreConnectionSettings.Create(options, embedded, "hashforum-membership");
        MembershipLog.Connecting(logger, string.Join(",", config.EndPoints.Select(e => e.ToString())), options.UsesEmbeddedStore);
        return new MembershipConnection(ConnectionMultiplexer.Connect(config), owned: true);
    }

    public void Dispose()
    {
        if (_owned)
        {
            Multiplexer.Dispose();
        }
    }
}
