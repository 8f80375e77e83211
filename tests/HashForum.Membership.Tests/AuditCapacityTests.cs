using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using HashForum.Storage.Garnet;

namespace HashForum.Membership.Tests;

/// <summary>The audit log's cap, on a store of its own (trimming a shared Redis's log would disturb other suites).</summary>
[TestFixture]
[NonParallelizable]
internal sealed class AuditCapacityTests
{
    [Test]
    public async Task WriteAsync_MoreThanCapacity_NewestFirstAndCapped()
    {
        var data = Path.Combine(Path.GetTempPath(), "hashforum-membership-tests", Guid.NewGuid().ToString("N"));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["HashForum:Store:DataPath"] = data,
            ["HashForum:Membership:Pepper"] = Pepper.Generate().ToHex(),
            ["HashForum:Membership:AuditCapacity"] = "100",
        }).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddHashForumStore(configuration).AddHashForumMembership(configuration);
        await using (var provider = services.BuildServiceProvider())
        {
            var log = provider.GetRequiredService<IAuditLog>();
            for (var i = 0; i < 120; i++)
            {
                await log.WriteAsync("m", "k", "test", "peer", "ok", "entry " + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            var entries = await log.ReadAsync(1000);

            Assert.That(entries, Has.Count.EqualTo(100));
            Assert.That(entries[0].Detail, Is.EqualTo("entry 119"));
            Assert.That(entries.Select(e => e.Sequence), Is.Ordered.Descending);
        }

        Directory.Delete(data, recursive: true);
    }
}
