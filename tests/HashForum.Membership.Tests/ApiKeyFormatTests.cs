namespace HashForum.Membership.Tests;

internal sealed class ApiKeyFormatTests
{
    [Test]
    public void Generate_Always_PrefixedFixedLengthAndParsesToItsKeyId()
    {
        var key = ApiKeyFormat.Generate(out var keyId);

        Assert.That(key, Does.StartWith("hfk_"));
        Assert.That(key, Has.Length.EqualTo(ApiKeyFormat.Length));
        Assert.That(ApiKeyFormat.TryParse(key, out var parsed, out var reason), Is.True, reason);
        Assert.That(parsed, Is.EqualTo(keyId));
        Assert.That(ApiKeyFormat.IsKeyId(keyId), Is.True);
    }

    [Test]
    public void Generate_ManyKeys_AllDifferent()
    {
        var keys = Enumerable.Range(0, 1000).Select(i => ApiKeyFormat.Generate(out _)).ToHashSet();

        Assert.That(keys, Has.Count.EqualTo(1000));
    }

    [Test]
    public void Generate_SecretPart_CarriesAtLeast256Bits()
    {
        // 52 base32 characters of secret hold 260 bits, of which 256 are random.
        Assert.That(ApiKeyFormat.SecretLength * 5, Is.GreaterThanOrEqualTo(256));
    }

    [Test]
    public void TryParse_AnySingleCharacterChanged_RefusedByChecksum()
    {
        var key = ApiKeyFormat.Generate(out _);
        for (var i = ApiKeyFormat.Prefix.Length; i < key.Length; i++)
        {
            var replacement = key[i] == 'a' ? 'b' : 'a';
            var mistyped = key[..i] + replacement + key[(i + 1)..];

            Assert.That(ApiKeyFormat.TryParse(mistyped, out _, out var reason), Is.False, $"position {i}");
            Assert.That(reason, Does.Contain("checksum"));
        }
    }

    [Test]
    public void TryParse_AdjacentCharactersSwapped_Refused()
    {
        var key = ApiKeyFormat.Generate(out _);
        var i = 30;
        while (key[i] == key[i + 1])
        {
            i++;
        }

        var swapped = key[..i] + key[i + 1] + key[i] + key[(i + 2)..];

        Assert.That(ApiKeyFormat.TryParse(swapped, out _, out _), Is.False);
    }

    [TestCase("")]
    [TestCase("hfk_")]
    [TestCase("Bearer hfk_abc")]
    public void TryParse_WrongShape_RefusedWithReason(string key)
    {
        Assert.That(ApiKeyFormat.TryParse(key, out _, out var reason), Is.False);
        Assert.That(reason, Is.Not.Empty);
    }

    [Test]
    public void TryParse_Truncated_RefusedSayingTheLength()
    {
        var key = ApiKeyFormat.Generate(out _);

        Assert.That(ApiKeyFormat.TryParse(key.AsSpan(0, key.Length - 1), out _, out var reason), Is.False);
        Assert.That(reason, Does.Contain(ApiKeyFormat.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Test]
    public void TryParse_UpperCase_Refused()
    {
        var key = ApiKeyFormat.Generate(out _);

        Assert.That(ApiKeyFormat.TryParse("hfk_" + key.AsSpan(4).ToString().ToUpperInvariant(), out _, out _), Is.False);
    }

    [Test]
    public void TryParse_Refusal_NeverEchoesTheKey()
    {
        var key = ApiKeyFormat.Generate(out _);
        var mistyped = key[..50] + (key[50] == 'a' ? 'b' : 'a') + key[51..];

        var parsed = ApiKeyFormat.TryParse(mistyped, out _, out var reason);

        Assert.That(parsed, Is.False);
        Assert.That(reason, Does.Not.Contain(mistyped[20..40]));
    }
}
