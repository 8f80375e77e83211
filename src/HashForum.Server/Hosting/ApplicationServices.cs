using Grpc.Net.Compression;
using HashForum.Membership;
using HashForum.Server.Auth;
using HashForum.Server.Errors;
using HashForum.Server.Indexing;
using HashForum.Server.Services.Members;
using HashForum.Storage;
using HashForum.Storage.Garnet;
using Microsoft.Extensions.Options;

namespace HashForum.Server.Hosting;

/// <summary>The composition root: every service of the server, registered in one place.</summary>
internal static class ApplicationServices
{
    public static IServiceCollection AddApplicationServices(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ServerOptions>()
            .Bind(configuration.GetSection(ServerOptions.SectionName))
            .PostConfigure(options =>
            {
                options.CertificatePath ??= configuration[ServerOptions.CertificateVariable] is { Length: > 0 } cert ? cert : null;
                options.CertificateKeyPath ??= configuration[ServerOptions.CertificateKeyVariable] is { Length: > 0 } key ? key : null;
            })
            .ValidateDataAnnotations()
            .Validate(o => o.CertificatePath is null || File.Exists(o.CertificatePath), "The TLS certificate file (HashForum:Server:CertificatePath / HASHFORUM_TLS_CERT) does not exist.")
            .Validate(o => o.CertificateKeyPath is null || File.Exists(o.CertificateKeyPath), "The TLS key file (HashForum:Server:CertificateKeyPath / HASHFORUM_TLS_KEY) does not exist.")
            .ValidateOnStart();

        // The store, the index it feeds, and membership on the same store.
        services.AddHashForumStore(configuration);
        services.AddSingleton<IndexSink>();
        services.AddSingleton<IChangeSink>(sp => sp.GetRequiredService<IndexSink>());
        services.AddHostedService<StartupService>();
        services.AddHostedService<IndexMaintenanceService>();
        services.AddHashForumChangeFeed();
        services.AddHashForumMembership(configuration);
        services.AddMemberApi(configuration);

        // gRPC: limits, compression policy, errors outermost, then authentication.
        services.AddGrpc();
        services.AddSingleton<IConfigureOptions<Grpc.AspNetCore.Server.GrpcServiceOptions>, ConfigureGrpc>();
        services.AddGrpcReflection();
        services.AddGrpcHealthChecks().AddCheck<IndexReadinessCheck>("index");
        return services;
    }

    private sealed class ConfigureGrpc(IOptions<ServerOptions> server) : IConfigureOptions<Grpc.AspNetCore.Server.GrpcServiceOptions>
    {
        public void Configure(Grpc.AspNetCore.Server.GrpcServiceOptions options)
        {
            var settings = server.Value;
            options.MaxReceiveMessageSize = settings.MaxReceiveMessageBytes;
            options.MaxSendMessageSize = settings.MaxSendMessageBytes;
            options.EnableDetailedErrors = false;
            options.ResponseCompressionAlgorithm = null;
            options.CompressionProviders = settings.Compression == RequestCompression.Decompress
                ? new List<ICompressionProvider> { new BoundedGzipCompressionProvider(settings.MaxReceiveMessageBytes) }
                : new List<ICompressionProvider>();
            options.Interceptors.Add<ErrorInterceptor>();
            options.Interceptors.Add<AuthInterceptor>();
        }
    }
}
