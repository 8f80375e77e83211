using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Health.V1;
using Grpc.Net.Client;
using HashForum.Contracts.V1;
using HashForum.Server.Hosting;

namespace HashForum.Server.Tests;

/// <summary>Addresses and TLS: plain HTTP/2 on loopback only, TLS with a configured certificate.</summary>
[TestFixture]
[NonParallelizable]
internal sealed class TransportTests
{
    [TestCase("http://0.0.0.0:5080")]
    [TestCase("http://*:5080")]
    [TestCase("http://192.0.2.10:5080")]
    [TestCase("http://127.0.0.1:5080;http://example.org:80")]
    public void CheckAddresses_PlainHttpBeyondLoopback_Refused(string urls)
    {
        var ex = Assert.Throws<InvalidOperationException>(() => ServerApplication.CheckAddresses(urls, allowInsecureRemote: false));

        Assert.That(ex!.Message, Does.Contain("clear text"));
    }

    [TestCase("http://127.0.0.1:5080")]
    [TestCase("http://localhost:5080")]
    [TestCase("http://[::1]:5080")]
    [TestCase("https://0.0.0.0:5443")]
    public void CheckAddresses_LoopbackOrHttps_Accepted(string urls)
    {
        Assert.DoesNotThrow(() => ServerApplication.CheckAddresses(urls, allowInsecureRemote: false));
    }

    [Test]
    public void CheckAddresses_InsecureRemoteAllowed_Accepted()
    {
        Assert.DoesNotThrow(() => ServerApplication.CheckAddresses("http://0.0.0.0:5080", allowInsecureRemote: true));
    }

    [Test]
    public async Task Serve_WithPemCertificate_AnswersOverTls()
    {
        var folder = TestServer.NewTempFolder();
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var certPath = Path.Combine(folder, "server.crt");
        var keyPath = Path.Combine(folder, "server.key");
        await File.WriteAllTextAsync(certPath, certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyPath, rsa.ExportPkcs8PrivateKeyPem());
        var pepper = TestServer.NewPepper();
        // Not waited for through the helper's channel, which has no way to trust this certificate.
        await using var server = await TestServer.StartAsync(
            pepper,
            settings: new Dictionary<string, string>
            {
                ["urls"] = "https://127.0.0.1:0",
                ["HashForum:Server:CertificatePath"] = certPath,
                ["HashForum:Server:CertificateKeyPath"] = keyPath,
            },
            waitServing: false);
        var key = await server.BootstrapAsync(pepper);
        Assert.That(server.Address, Does.StartWith("https://"));
        var thumbprint = certificate.Thumbprint;
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert?.Thumbprint == thumbprint,
        };
        using var channel = GrpcChannel.ForAddress(server.Address, new GrpcChannelOptions { HttpHandler = handler });

        var health = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), TestServer.With(null));
        var me = await new AccountService.AccountServiceClient(channel).WhoAmIAsync(new WhoAmIRequest(), TestServer.With(key));

        Assert.That(health.Status, Is.EqualTo(HealthCheckResponse.Types.ServingStatus.Serving));
        Assert.That(me.Kind, Is.EqualTo(MemberKind.Operator));
    }
}
