using Grpc.Core;
using HashForum.Membership;
using HashForum.Server.Auth;
using HashForum.Server.Errors;

namespace HashForum.Server.Services;

/// <summary>
/// An operator's action, audited with its outcome: "ok" and what changed, or the status it failed with and what was
/// tried. Shared by the admin and label services, so both write the same kind of entry.
/// </summary>
internal static class AuditedCall
{
    public static async Task<T> RunAsync<T>(
        AuditWriter audit,
        ILogger logger,
        ServerCallContext context,
        string attempt,
        Func<Caller, CancellationToken, Task<(T Response, string Detail)>> action)
    {
        var caller = context.GetCaller();
        try
        {
            var (response, detail) = await action(caller, context.CancellationToken).ConfigureAwait(false);
            await audit.WriteAsync(caller.MemberId, caller.KeyId, context.Method, context.Peer, "ok", detail, CancellationToken.None)
                .ConfigureAwait(false);
            return response;
        }
        catch (Exception ex)
        {
            var status = StatusMapping.ToRpcException(ex, context, logger);
            await audit.WriteAsync(caller.MemberId, caller.KeyId, context.Method, context.Peer, status.StatusCode.ToString(), attempt, CancellationToken.None)
                .ConfigureAwait(false);
            throw status;
        }
    }
}
