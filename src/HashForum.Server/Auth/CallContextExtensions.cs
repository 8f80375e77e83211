using Grpc.Core;
using HashForum.Membership;

namespace HashForum.Server.Auth;

/// <summary>The authenticated caller of a request, as <see cref="AuthInterceptor"/> left it.</summary>
public static class CallContextExtensions
{
    private const string CallerKey = "hashforum.caller";

    /// <summary>The caller; every method but health has one (the interceptor refuses the call otherwise).</summary>
    public static Caller GetCaller(this ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.UserState.TryGetValue(CallerKey, out var caller) && caller is Caller c
            ? c
            : throw new InvalidOperationException("No authenticated caller: is the method behind AuthInterceptor?");
    }

    internal static void SetCaller(this ServerCallContext context, Caller caller) => context.UserState[CallerKey] = caller;
}
