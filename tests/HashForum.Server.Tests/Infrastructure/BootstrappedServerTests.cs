namespace HashForum.Server.Tests;

/// <summary>
/// A fixture with one real server for all its tests, bootstrapped: the pepper it runs with and the operator key
/// bootstrap printed. Derived fixtures may add configuration.
/// </summary>
internal abstract class BootstrappedServerTests
{
    protected string Pepper { get; } = TestServer.NewPepper();

    protected TestServer Server { get; private set; } = null!;

    protected string OperatorKey { get; private set; } = null!;

    /// <summary>Extra configuration of the server, key to value.</summary>
    protected virtual IDictionary<string, string>? Settings => null;

    [OneTimeSetUp]
    public async Task StartServer()
    {
        Server = await TestServer.StartAsync(Pepper, settings: Settings);
        OperatorKey = await Server.BootstrapAsync(Pepper);
    }

    [OneTimeTearDown]
    public async Task StopServer() => await Server.DisposeAsync();
}
