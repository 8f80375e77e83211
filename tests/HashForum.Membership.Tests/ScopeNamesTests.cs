namespace HashForum.Membership.Tests;

internal sealed class ScopeNamesTests
{
    [Test]
    public void Parse_NamesAnyCase_AllScopes()
    {
        Assert.That(ScopeNames.Parse(["lookup", "CONTRIBUTE", " sync ", "admin"]),
            Is.EqualTo(Scopes.Lookup | Scopes.Contribute | Scopes.Sync | Scopes.Admin));
    }

    [Test]
    public void Parse_UnknownName_ArgumentExceptionListingTheScopes()
    {
        var ex = Assert.Throws<ArgumentException>(() => ScopeNames.Parse(["lookup", "root"]));

        Assert.That(ex!.Message, Does.Contain("root").And.Contain("contribute"));
    }

    [Test]
    public void Parse_None_ArgumentException()
    {
        Assert.Throws<ArgumentException>(() => ScopeNames.Parse([]));
    }

    [Test]
    public void ToNames_Scopes_FixedOrder()
    {
        Assert.That((Scopes.Sync | Scopes.Lookup).ToNames(), Is.EqualTo(new[] { "lookup", "sync" }));
    }
}
