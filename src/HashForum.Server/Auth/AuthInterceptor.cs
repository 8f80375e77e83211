using Grpc.Core;
using Grpc.Core.Interceptors;
using HashForum.Membership;
using HashForum.Server.Internal;

namespace HashForum.Server.Auth;

/// <summary>
/// Authenticates every call but health (<c>authorization: Bearer KEY</c>), checks the method's scope and the
/// member's rate limit, and leaves the <see cref="Caller"/> for the handler (<see cref="CallContextExtensions.GetCaller"/>).
/// </summary>
/// <remarks>
/// Status codes, consistently: no key, a malformed key, an unknown key (or one under another pepper), a revoked or an
/// expired key: UNAUTHENTICATED (the credential is not valid). A valid key of a suspended member, or without the
/// method's scope: PERMISSION_DENIED (the caller is known but may not do this). Rate limit: RESOURCE_EXHAUSTED.
/// </remarks>
internal sealed class AuthInterceptor(
    KeyValidator validator, MemberRateLimiter limiter, AuditWriter audit, ILogger<AuthInterceptor> logger) : Interceptor
{
    private const string HealthPrefix = "/grpc.health.v1.Health/";

    // Services we do not own, so cannot annotate: server reflection needs a valid key, no scope.
    private static readonly string[] s_anyKeyPrefixes = ["/grpc.reflection.v1alpha.ServerReflection/", "/grpc.reflection.v1.ServerReflection/"];

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        await AuthorizeAsync(context).ConfigureAwait(false);
        return await continuation(request, context).ConfigureAwait(false);
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        await AuthorizeAsync(context).ConfigureAwait(false);
        return await continuation(requestStream, context).ConfigureAwait(false);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        await AuthorizeAsync(context).ConfigureAwait(false);
        await continuation(request, responseStream, context).ConfigureAwait(false);
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        await AuthorizeAsync(context).ConfigureAwait(false);
        await continuation(requestStream, responseStream, context).ConfigureAwait(false);
    }

    private async Task AuthorizeAsync(ServerCallContext context)
    {
        var method = context.Method;
        if (method.StartsWith(HealthPrefix, StringComparison.Ordinal))
        {
            return;
        }

        var required = RequiredScope(context);
        if (required is null)
        {
            ServerLog.MethodWithoutScope(logger, method);
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"Method {method} declares no scope, so nobody may call it."));
        }

        var result = await validator.ValidateAsync(Authorization(context), context.CancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            var code = result.Outcome == AuthOutcome.Suspended ? StatusCode.PermissionDenied : StatusCode.Unauthenticated;
            ServerLog.AuthenticationFailed(logger, method, context.Peer, result.Outcome.ToString(), result.KeyId);
            audit.AuthenticationFailed(result.MemberId, result.KeyId, method, context.Peer, code.ToString(), result.Outcome.ToString());
            throw new RpcException(new Status(code, result.Message));
        }

        var caller = result.Caller!;
        var scope = required.Value;
        if (scope != Scopes.None && (!caller.Has(scope) || (scope == Scopes.Admin && caller.Kind != MemberKind.Operator)))
        {
            var reason = $"The key {caller.KeyId} lacks the '{scope.ToName()}' scope that {method} needs.";
            ServerLog.PermissionDenied(logger, method, caller.MemberId, caller.KeyId, "missing scope " + scope.ToName());
            audit.AuthenticationFailed(caller.MemberId, caller.KeyId, method, context.Peer, nameof(StatusCode.PermissionDenied), "missing scope " + scope.ToName());
            throw new RpcException(new Status(StatusCode.PermissionDenied, reason));
        }

        if (!limiter.TryAcquire(caller, out var retryAfter))
        {
            var (rate, burst) = limiter.LimitOf(caller);
            ServerLog.RateLimited(logger, caller.MemberId, caller.KeyId, method);
            var retryMs = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalMilliseconds));
            var trailers = new Metadata { { "retry-after-ms", retryMs.ToString(System.Globalization.CultureInfo.InvariantCulture) } };
            throw new RpcException(
                new Status(StatusCode.ResourceExhausted,
                    $"Rate limit of member {caller.MemberId} exceeded ({rate:0.###} requests/s, burst {burst}); retry in {retryMs} ms."),
                trailers);
        }

        context.SetCaller(caller);
    }

    /// <summary>
    /// The <c>authorization</c> header, read from the HTTP request: <see cref="ServerCallContext.RequestHeaders"/> would
    /// copy every header of the call into a new collection first. The last value wins, as with <c>Metadata.GetValue</c>.
    /// </summary>
    private static string? Authorization(ServerCallContext context)
    {
        var values = context.GetHttpContext().Request.Headers.Authorization;
        return values.Count == 0 ? null : values[values.Count - 1];
    }

    private static Scopes? RequiredScope(ServerCallContext context)
    {
        var attribute = context.GetHttpContext().GetEndpoint()?.Metadata.GetMetadata<RequiresScopeAttribute>();
        if (attribute is not null)
        {
            return attribute.Scope;
        }

        foreach (var prefix in s_anyKeyPrefixes)
        {
            if (context.Method.StartsWith(prefix, StringComparison.Ordinal))
            {
                return Scopes.None;
            }
        }

        return null;
    }
}
