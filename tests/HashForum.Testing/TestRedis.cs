namespace HashForum.Testing;

/// <summary>
/// The real Redis CI provides (<c>HASHFORUM_TEST_REDIS</c>, host:port). Absent, the real-Redis tests are skipped with
/// the reason; with <c>HASHFORUM_REQUIRE_REDIS=1</c> they fail instead.
/// </summary>
public static class TestRedis
{
    public static string Require()
    {
        var endpoint = Environment.GetEnvironmentVariable("HASHFORUM_TEST_REDIS");
        if (!string.IsNullOrWhiteSpace(endpoint))
        {
            return endpoint.Trim();
        }

        const string reason = "HASHFORUM_TEST_REDIS (host:port of a real redis-server) is not set; the real-Redis tests need it.";
        if (Environment.GetEnvironmentVariable("HASHFORUM_REQUIRE_REDIS") == "1")
        {
            Assert.Fail(reason + " HASHFORUM_REQUIRE_REDIS=1, so this is a failure.");
        }

        Assert.Ignore(reason);
        return string.Empty;
    }
}
