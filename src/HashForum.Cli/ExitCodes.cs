namespace HashForum.Cli;

/// <summary>Process exit codes, documented in the README.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;
}
