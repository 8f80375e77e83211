namespace HashForum.Imaging.Tests;

public sealed class ExactDigestsTests
{
    [Test]
    public void Compute_Abc_MatchesTheStandardTestVectors()
    {
        // Act: RFC 1321 and FIPS 180-2 give the digests of "abc".
        var (md5, sha256) = ExactDigests.Compute("abc"u8);

        // Assert
        Assert.That(ExactDigests.ToHex(md5), Is.EqualTo("900150983cd24fb0d6963f7d28e17f72"));
        Assert.That(ExactDigests.ToHex(sha256), Is.EqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    }

    [Test]
    public void Compute_Empty_MatchesTheDigestsOfNothing()
    {
        // Act
        var (md5, sha256) = ExactDigests.Compute([]);

        // Assert
        Assert.That(md5, Has.Length.EqualTo(ExactDigests.Md5Length));
        Assert.That(sha256, Has.Length.EqualTo(ExactDigests.Sha256Length));
        Assert.That(ExactDigests.ToHex(md5), Is.EqualTo("d41d8cd98f00b204e9800998ecf8427e"));
        Assert.That(ExactDigests.ToHex(sha256), Is.EqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    }

    [Test]
    public void ComputeHex_AnyInput_IsLowercaseHexOfCompute()
    {
        // Arrange
        var data = TestImages.Png();

        // Act
        var (md5Hex, sha256Hex) = ExactDigests.ComputeHex(data);
        var (md5, sha256) = ExactDigests.Compute(data);

        // Assert
        Assert.That(md5Hex, Is.EqualTo(Convert.ToHexString(md5).ToLowerInvariant()));
        Assert.That(sha256Hex, Is.EqualTo(Convert.ToHexString(sha256).ToLowerInvariant()));
        Assert.That(md5Hex + sha256Hex, Does.Match("^[0-9a-f]{96}$"));
    }
}
