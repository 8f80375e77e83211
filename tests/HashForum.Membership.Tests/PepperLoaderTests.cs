using HashForum.Membership.Internal;
using Microsoft.Extensions.Logging.Abstractions;

namespace HashForum.Membership.Tests;

internal sealed class PepperLoaderTests
{
    private string _data = null!;

    [SetUp]
    public void CreateFolder() =>
        _data = Path.Combine(Path.GetTempPath(), "hashforum-pepper-tests", Guid.NewGuid().ToString("N"));

    [TearDown]
    public void DeleteFolder()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    [Test]
    public void Load_NoPepperConfigured_GeneratesOwnerOnlyFileOnceAndReusesIt()
    {
        var first = PepperLoader.Load(new MembershipOptions(), _data, NullLogger.Instance);
        var second = PepperLoader.Load(new MembershipOptions(), _data, NullLogger.Instance);

        var file = Path.Combine(_data, PepperLoader.FileName);
        Assert.That(second.Fingerprint(), Is.EqualTo(first.Fingerprint()));
        if (!OperatingSystem.IsWindows())
        {
            Assert.That(File.GetUnixFileMode(file), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        }
    }

    [Test]
    public void Load_PepperConfigured_UsesItAndWritesNoFile()
    {
        var hex = Pepper.Generate().ToHex();

        var pepper = PepperLoader.Load(new MembershipOptions { Pepper = hex }, _data, NullLogger.Instance);

        Assert.That(pepper.Fingerprint(), Is.EqualTo(Pepper.Parse(hex).Fingerprint()));
        Assert.That(File.Exists(Path.Combine(_data, PepperLoader.FileName)), Is.False);
    }
}
