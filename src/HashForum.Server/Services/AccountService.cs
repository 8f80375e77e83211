using Grpc.Core;
using HashForum.Membership;
using HashForum.Server.Auth;
using V1 = HashForum.Contracts.V1;

namespace HashForum.Server.Services;

/// <summary>Who the caller is: any valid key.</summary>
[RequiresScope(Scopes.None)]
internal sealed class AccountService : V1.AccountService.AccountServiceBase
{
    public override Task<V1.WhoAmIResponse> WhoAmI(V1.WhoAmIRequest request, ServerCallContext context)
    {
        var caller = context.GetCaller();
        var response = new V1.WhoAmIResponse
        {
            MemberId = caller.MemberId,
            MemberName = caller.MemberName,
            Kind = caller.Kind.ToProto(),
            KeyId = caller.KeyId,
            Expires = caller.Expires is { } e ? Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(e) : null,
        };
        response.Scopes.AddRange(caller.Scopes.ToNames());
        return Task.FromResult(response);
    }
}
