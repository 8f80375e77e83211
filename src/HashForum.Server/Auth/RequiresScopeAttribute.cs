using HashForum.Membership;

namespace HashForum.Server.Auth;

/// <summary>
/// The scope a gRPC method (or every method of a service class) needs; <see cref="Scopes.None"/> means any valid key.
/// A method without it is refused (fail closed): every new RPC must say what it needs.
/// </summary>
/// <remarks>grpc-dotnet puts the service's and the method's attributes in the endpoint metadata, where
/// <see cref="AuthInterceptor"/> reads them; a method's attribute wins over its class's.</remarks>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false, Inherited = true)]
public sealed class RequiresScopeAttribute(Scopes scope) : Attribute
{
    public Scopes Scope { get; } = scope;
}
