using HashForum.Membership;
using HashForum.Server.Indexing;
using HashForum.Server.Internal;
using HashForum.Storage;
using Microsoft.Extensions.Options;

namespace HashForum.Server.Hosting;

/// <summary>
/// Start-up chores: membership checks (invalidation subscription, pepper fingerprint), the embedded store's endpoint
/// file (so that <c>bootstrap</c> can reach a running server's store instead of opening its data folder twice), and
/// the index-loaded log line.
/// </summary>
internal sealed class StartupService(
    IServiceProvider services, IndexSink index, IOptions<HashForumStoreOptions> store, ILogger<StartupService> logger) : IHostedService
{
    public const string EndpointFileName = "embedded-store.endpoint";

    private string? _endpointFile;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _ = index.Ready.ContinueWith(_ => ServerLog.IndexLoaded(logger, index.Index.Count), TaskScheduler.Default);
        if (store.Value.UsesEmbeddedStore && services.GetService<IEmbeddedStoreServer>() is { } embedded)
        {
            var endpoint = embedded.EnsureStarted();
            _endpointFile = Path.GetFullPath(Path.Combine(store.Value.DataPath, EndpointFileName));
            await File.WriteAllTextAsync(_endpointFile, endpoint + "\n", cancellationToken).ConfigureAwait(false);
            ServerLog.EndpointFileWritten(logger, _endpointFile);
        }

        try
        {
            await services.StartMembershipAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (StoreUnavailableException ex)
        {
            ServerLog.MembershipStartFailed(logger, ex);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        if (_endpointFile is not null)
        {
            try
            {
                File.Delete(_endpointFile);
            }
            catch (IOException)
            {
                // A stale file is harmless: bootstrap checks that the endpoint answers before using it.
            }
        }

        return Task.CompletedTask;
    }
}
