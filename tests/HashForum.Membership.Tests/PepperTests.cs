namespace HashForum.Membership.Tests;

internal sealed class PepperTests
{
    private const string Hex32 = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    [Test]
    public void Parse_HexAndBase64OfSameBytes_SameHmac()
    {
        var hex = Pepper.Parse(Hex32);
        var base64 = Pepper.Parse(Convert.ToBase64String(Convert.FromHexString(Hex32)));

        Assert.That(base64.Hmac("hfk_x"), Is.EqualTo(hex.Hmac("hfk_x")));
    }

    [Test]
    public void Parse_FewerThan32Bytes_FormatExceptionWithoutTheValue()
    {
        var ex = Assert.Throws<FormatException>(() => Pepper.Parse("abcdef0123456789"));

        Assert.That(ex!.Message, Does.Contain("32"));
        Assert.That(ex.Message, Does.Not.Contain("abcdef0123456789"));
    }

    [Test]
    public void Parse_NeitherHexNorBase64_FormatException()
    {
        Assert.Throws<FormatException>(() => Pepper.Parse("this is not a pepper!!"));
    }

    [Test]
    public void Matches_SameKey_TrueAndOtherPepper_False()
    {
        var pepper = Pepper.Generate();
        var key = ApiKeyFormat.Generate(out _);
        var stored = pepper.Hmac(key);

        Assert.That(pepper.Matches(key, stored), Is.True);
        Assert.That(Pepper.Generate().Matches(key, stored), Is.False);
        Assert.That(pepper.Matches(ApiKeyFormat.Generate(out _), stored), Is.False);
    }

    [Test]
    public void ToString_Always_RevealsNothing()
    {
        var pepper = Pepper.Parse(Hex32);

        Assert.That(pepper.ToString(), Does.Not.Contain("0001"));
    }

    [Test]
    public void Fingerprint_DifferentPeppers_Differ()
    {
        var one = Pepper.Generate();
        var two = Pepper.Generate();

        Assert.That(one.Fingerprint(), Is.Not.EqualTo(two.Fingerprint()));
    }
}
