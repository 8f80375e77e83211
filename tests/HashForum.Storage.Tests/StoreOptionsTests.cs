using HashForum.Storage.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HashForum.Storage.Tests;

/// <summary>Settings, cursors, ids and value rules: no server needed.</summary>
public sealed class StoreOptionsTests
{
    private static HashForumStoreOptions Bind(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddHashForumRedisStore(configuration);
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<HashForumStoreOptions>>().Value;
    }

    [Test]
    public void Bind_NothingSet_EmbeddedStoreInDotData()
    {
        var options = Bind([]);

        Assert.That(options.UsesEmbeddedStore, Is.True);
        Assert.That(options.DataPath, Is.EqualTo("./data"));
        Assert.That(options.Partitions, Is.EqualTo(16));
    }

    [Test]
    public void Bind_FlatVariables_FillRedisAndDataPath()
    {
        var options = Bind(new() { ["HASHFORUM_REDIS"] = "redis1:6379,password=secret", ["HASHFORUM_DATA"] = "/var/lib/hashforum" });

        Assert.That(options.Redis, Is.EqualTo("redis1:6379,password=secret"));
        Assert.That(options.UsesEmbeddedStore, Is.False);
        Assert.That(options.DataPath, Is.EqualTo("/var/lib/hashforum"));
    }

    [Test]
    public void Bind_SectionAndFlatVariable_SectionWins()
    {
        var options = Bind(new()
        {
            ["HASHFORUM_REDIS"] = "flat:6379",
            ["HashForum:Store:Redis"] = "section:6379",
            ["HashForum:Store:DataPath"] = "/srv/data",
            ["HASHFORUM_DATA"] = "/flat/data",
            ["HashForum:Store:Partitions"] = "64",
        });

        Assert.That(options.Redis, Is.EqualTo("section:6379"));
        Assert.That(options.DataPath, Is.EqualTo("/srv/data"));
        Assert.That(options.Partitions, Is.EqualTo(64));
    }

    [Test]
    public void Bind_PartitionsOutOfRange_FailsValidationNamingTheSetting()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Bind(new() { ["HashForum:Store:Partitions"] = "5000" }));

        Assert.That(ex!.Message, Does.Contain("Partitions"));
    }

    [Test]
    public void StoreCursor_TextForm_RoundTrips()
    {
        var cursor = new StoreCursor([0, 17, 3_000_000_000]);

        var parsed = StoreCursor.Parse(cursor.ToString());

        Assert.That(cursor.ToString(), Is.EqualTo("1.3.0.17.3000000000"));
        Assert.That(parsed, Is.EqualTo(cursor));
        Assert.That(parsed[2], Is.EqualTo(3_000_000_000));
    }

    [TestCase("")]
    [TestCase("1.2.5")]
    [TestCase("2.1.5")]
    [TestCase("1.1.-5")]
    [TestCase("1.1.x")]
    public void StoreCursor_Malformed_ThrowsFormatException(string text) =>
        Assert.Throws<FormatException>(() => StoreCursor.Parse(text));

    [Test]
    public void RecordIds_Compose_EncodesPartitionAndNumber()
    {
        var id = RecordIds.Compose(123_456, 37);

        Assert.That(RecordIds.PartitionOf(id), Is.EqualTo(37));
        Assert.That(id >> 10, Is.EqualTo(123_456));
        Assert.That(RecordIds.IsValid(id, partitions: 64), Is.True);
        Assert.That(RecordIds.IsValid(id, partitions: 16), Is.False);
        Assert.That(RecordIds.IsValid(5, partitions: 16), Is.False);
    }

    [Test]
    public void PartitionOfValue_KnownValues_NeverChange()
    {
        // Golden values (FNV-1a 64 of "signal:value", computed independently): value placement is part of the data layout, so this function must never change.
        Assert.That(
            new[]
            {
                RecordIds.PartitionOfValue(SignalType.Pdq, new string('0', 64), 1024),
                RecordIds.PartitionOfValue(SignalType.Md5, new string('f', 32), 1024),
                RecordIds.PartitionOfValue(SignalType.Sha256, new string('a', 64), 1024),
            },
            Is.EqualTo(new[] { 78, 11, 992 }));
    }

    [Test]
    public void PartitionOfValue_ManyValues_SpreadOverAllPartitions()
    {
        var counts = new int[16];
        for (var i = 0; i < 16_000; i++)
        {
            counts[RecordIds.PartitionOfValue(SignalType.Pdq, i.ToString("x64", System.Globalization.CultureInfo.InvariantCulture), 16)]++;
        }

        Assert.That(counts, Has.All.InRange(800, 1200));
    }

    [TestCase(SignalType.Pdq, "AB", "64 hex digits")]
    [TestCase(SignalType.Md5, "zz000000000000000000000000000000", "hex digits only")]
    public void NormalizeValue_Malformed_ThrowsSayingWhatIsWrong(SignalType signal, string value, string message)
    {
        var ex = Assert.Throws<ArgumentException>(() => signal.NormalizeValue(value));

        Assert.That(ex!.Message, Does.Contain(message));
    }

    [Test]
    public void NormalizeValue_UpperCaseWithSpaces_LowerCaseTrimmed() =>
        Assert.That(SignalType.Md5.NormalizeValue("  " + new string('A', 32) + " "), Is.EqualTo(new string('a', 32)));
}
