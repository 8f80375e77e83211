using System.Net;
using System.Security.Cryptography.X509Certificates;
using HashForum.Server.Services;
using Microsoft.Extensions.Options;

namespace HashForum.Server.Hosting;

/// <summary>Builds the server: configuration defaults, Kestrel (HTTP/2, TLS when configured), the gRPC endpoints.</summary>
internal static class ServerApplication
{
    /// <summary>Where the server listens when <c>--urls</c> (or <c>ASPNETCORE_URLS</c>) does not say.</summary>
    public const string DefaultUrls = "http://127.0.0.1:5080";

    /// <summary>
    /// Serves until stopped. A configuration mistake found at start (an address, a certificate, an invalid setting, a
    /// busy port) is one line on stderr and exit code 1, not a stack trace.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(stderr);
        WebApplication? app = null;
        try
        {
            app = Build(CreateBuilder(args));
            await app.StartAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or OptionsValidationException or FormatException or IOException
            or System.Security.Cryptography.CryptographicException)
        {
            await stderr.WriteLineAsync("HashForum.Server: " + ex.Message).ConfigureAwait(false);
            if (app is not null)
            {
                await app.DisposeAsync().ConfigureAwait(false);
            }

            return 1;
        }

        await using (app.ConfigureAwait(false))
        {
            await app.WaitForShutdownAsync().ConfigureAwait(false);
        }

        return 0;
    }

    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args });

        // Defaults below every other source: loopback only, HTTP/2 only (gRPC; plain HTTP/2 needs no negotiation).
        ((IConfigurationBuilder)builder.Configuration).Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>
            {
                ["urls"] = DefaultUrls,
                ["Kestrel:EndpointDefaults:Protocols"] = "Http2",

                // The embedded Garnet logs its start-up settings at Information; ours say what matters.
                ["Logging:LogLevel:GarnetServer"] = "Warning",
                ["Logging:LogLevel:ArgParser"] = "Warning",
                ["Logging:LogLevel:SingleDatabaseManager"] = "Warning",

                // ASP.NET Core logs every request at Information: measured, that more than doubled the server's CPU
                // per unary lookup (573 us against 243 us) and wrote 11 MB in 12 s under load. Our own log lines and
                // the audit log say what happened; raise this in configuration to trace requests.
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
            },
        });
        builder.Services.AddApplicationServices(builder.Configuration);
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            var options = kestrel.ApplicationServices.GetRequiredService<IOptions<ServerOptions>>().Value;
            if (options.CertificatePath is { } path)
            {
                var certificate = options.CertificateKeyPath is { } keyPath
                    ? X509Certificate2.CreateFromPemFile(path, keyPath)
                    : X509CertificateLoader.LoadPkcs12FromFile(path, options.CertificatePassword);
                kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate);
            }
        });
        return builder;
    }

    public static WebApplication Build(WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var server = builder.Configuration.GetSection(ServerOptions.SectionName).Get<ServerOptions>() ?? new ServerOptions();
        CheckAddresses(builder.Configuration["urls"], server.AllowInsecureRemote);
        var app = builder.Build();
        app.MapGrpcService<AdminService>();
        app.MapGrpcService<AccountService>();
        app.MapGrpcService<Services.Members.LookupService>();
        app.MapGrpcService<Services.Members.HashingService>();
        app.MapGrpcService<Services.Members.ContributeService>();
        app.MapGrpcService<Services.Members.SyncService>();
        app.MapGrpcService<Services.Members.LabelService>();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        return app;
    }

    /// <summary>Plain HTTP is for loopback: elsewhere keys would cross the network in clear text.</summary>
    internal static void CheckAddresses(string? urls, bool allowInsecureRemote)
    {
        if (allowInsecureRemote || string.IsNullOrWhiteSpace(urls))
        {
            return;
        }

        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!url.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var host = url["http://".Length..].Split('/')[0];
            host = host.StartsWith('[') ? host[1..host.IndexOf(']', StringComparison.Ordinal)] : host.Split(':')[0];
            var loopback = string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
                || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
            if (!loopback)
            {
                throw new InvalidOperationException(
                    $"Refusing plain HTTP on {url}: API keys would cross the network in clear text. Use an https:// address with a " +
                    "certificate (HASHFORUM_TLS_CERT / HASHFORUM_TLS_KEY), a loopback address, or set HashForum:Server:AllowInsecureRemote=true " +
                    "behind a TLS-terminating proxy.");
            }
        }
    }
}
