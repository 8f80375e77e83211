using Grpc.Core;
using HashForum.Membership;
using HashForum.Server.Internal;
using HashForum.Storage;

namespace HashForum.Server.Errors;

/// <summary>
/// The one place exceptions become gRPC statuses: each failure maps to one status whose message says what to fix;
/// anything unexpected is INTERNAL with a reference to the server log, never a stack trace.
/// </summary>
public static class StatusMapping
{
    /// <summary>The status for <paramref name="exception"/> thrown while serving <paramref name="context"/>.</summary>
    public static RpcException ToRpcException(Exception exception, ServerCallContext context, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(context);
        switch (exception)
        {
            case RpcException rpc:
                return rpc;
            case MembershipNotFoundException notFound:
                return new RpcException(new Status(StatusCode.NotFound, notFound.Message));
            case ArgumentException argument:
                return new RpcException(new Status(StatusCode.InvalidArgument, WithoutParameterName(argument)));
            case FormatException format:
                return new RpcException(new Status(StatusCode.InvalidArgument, format.Message));
            case StoreLayoutException:
                return new RpcException(new Status(
                    StatusCode.FailedPrecondition, "The record store holds records in an earlier layout; an operator must migrate it (the server log says how)."));
            case StoreUnavailableException unavailable:
                ServerLog.StoreUnavailable(logger, context.Method, unavailable);
                return new RpcException(new Status(StatusCode.Unavailable, "The store is unavailable; retry later."));
            case OperationCanceledException when context.Deadline <= DateTime.UtcNow:
                return new RpcException(new Status(StatusCode.DeadlineExceeded, "The call's deadline passed before it completed."));
            case OperationCanceledException when context.CancellationToken.IsCancellationRequested:
                return new RpcException(new Status(StatusCode.Cancelled, "The call was cancelled."));
            default:
                var reference = Guid.NewGuid().ToString("N")[..12];
                ServerLog.UnhandledError(logger, context.Method, reference, exception);
                return new RpcException(new Status(
                    StatusCode.Internal, $"Internal server error (reference {reference}); the server log has the details."));
        }
    }

    /// <summary>The status code's name, as the audit log records outcomes.</summary>
    public static string OutcomeOf(Exception exception, ServerCallContext context, ILogger logger) =>
        ToRpcException(exception, context, logger).StatusCode.ToString();

    private static string WithoutParameterName(ArgumentException exception) =>
        exception.ParamName is { } name
            ? exception.Message.Replace($" (Parameter '{name}')", string.Empty, StringComparison.Ordinal)
            : exception.Message;
}
