using Grpc.Core;

namespace HashForum.Server.Services.Members;

/// <summary>The member API's client errors: each names the field (or record) and says what to fix.</summary>
internal static class RequestErrors
{
    public static RpcException Invalid(string field, string message) =>
        new(new Status(StatusCode.InvalidArgument, $"{field}: {message}"));

    public static RpcException NotFound(long id) =>
        new(new Status(StatusCode.NotFound, $"There is no record {id}."));

    public static RpcException NotYours(long id, string owner, string action) =>
        new(new Status(StatusCode.PermissionDenied,
            $"Record {id} was contributed by member {owner}; only its contributor{(action == "retract" ? " or an operator" : string.Empty)} may {action} it."));

    public static RpcException LowQuality(int quality) =>
        new(new Status(StatusCode.FailedPrecondition,
            $"PDQ quality {quality} is under {Hashing.Pdq.PdqHash.MinimumUsefulQuality}: the image is too flat or too small for its hash to " +
            "match reliably, so it is not accepted. Contribute a clearer copy, or its MD5 / SHA-256 for exact matching."));
}
