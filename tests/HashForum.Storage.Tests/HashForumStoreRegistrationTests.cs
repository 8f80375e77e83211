using HashForum.Storage.Garnet;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HashForum.Storage.Tests;

/// <summary>
/// The composition root's view: <c>AddHashForumStore</c> with nothing configured hosts Garnet in the data folder,
/// so a fresh machine needs nothing installed; the change feed runs as a hosted service.
/// </summary>
public sealed class HashForumStoreRegistrationTests
{
    [Test]
    public async Task AddHashForumStore_NoRedisConfigured_RunsEmbeddedGarnetInDataFolderAndFeedsTheSink()
    {
        var data = Path.Combine(Path.GetTempPath(), "hashforum-registration-tests", Guid.NewGuid().ToString("N"));
        try
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["HASHFORUM_DATA"] = data,
                ["HashForum:Store:Embedded:Memory"] = "64m",
                ["HashForum:Store:Embedded:Index"] = "16m",
                ["HashForum:Store:Embedded:IndexMax"] = "64m",
                ["HashForum:Store:PollInterval"] = "00:00:00.200",
            }).Build();
            var sink = new Servers.MemorySink();
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.ClearProviders();
            builder.Services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
            builder.Services.AddHashForumStore(configuration);
            builder.Services.AddSingleton<IChangeSink>(sink);
            builder.Services.AddHashForumChangeFeed();
            using var host = builder.Build();

            await host.StartAsync();
            var store = host.Services.GetRequiredService<IHashStore>();
            var added = await store.ContributeAsync(new Contribution { Signal = SignalType.Md5, Value = new string('1', 32), Member = "m" });
            await Servers.MemorySink.WaitUntilAsync(() => sink.Contains(added.Record.Id), TimeSpan.FromSeconds(20), "the record in the sink");
            await host.StopAsync();

            Assert.That(Directory.EnumerateFiles(data, "*", SearchOption.AllDirectories), Is.Not.Empty, "Garnet keeps its data in HASHFORUM_DATA");
        }
        finally
        {
            try
            {
                Directory.Delete(data, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
