namespace HashForum.Cli;

/// <summary>Process exit codes, documented in the README.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;

    /// <summary>The server refused the key: missing, malformed, unknown, revoked or expired (gRPC UNAUTHENTICATED).</summary>
    public const int Unauthenticated = 3;

    /// <summary>The key is valid but may not do this: suspended member or missing scope (gRPC PERMISSION_DENIED).</summary>
    public const int PermissionDenied = 4;
}
