using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HashForum.Server.Indexing;

/// <summary>Readiness: healthy (grpc.health SERVING) only once the index is loaded from the store.</summary>
internal sealed class IndexReadinessCheck(IndexSink sink) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(sink.IsReady
            ? HealthCheckResult.Healthy($"{sink.Index.Count} PDQ hashes loaded.")
            : HealthCheckResult.Unhealthy("The index is still loading from the store."));
}
