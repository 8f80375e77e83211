using Microsoft.Extensions.Logging;

namespace HashForum.Storage.Garnet.Internal;

/// <summary>Log lines of the embedded store, event ids 4100-4199.</summary>
internal static partial class GarnetLog
{
    [LoggerMessage(4101, LogLevel.Information, "Embedded store: starting Garnet on 127.0.0.1:{Port} with data in {DataPath}")]
    public static partial void Starting(ILogger logger, string dataPath, int port);
}
