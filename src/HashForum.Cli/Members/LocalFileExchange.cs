using HashForum.Contracts.V1;

namespace HashForum.Cli.Members;

/// <summary>
/// <c>export --format te</c>: the signal file that HMA and python-threatexchange load, through python-threatexchange's
/// local file exchange.
/// </summary>
/// <remarks>
/// Neither tool loads a CSV; what they load from a file is the local file exchange (<c>LocalFileSignalExchangeAPI</c>,
/// api name <c>local_file</c>, in facebook/ThreatExchange <c>python-threatexchange/threatexchange/exchanges/impl/file_api.py</c>;
/// HMA takes it as one of its exchange types). Its format, from that file's reader and writer:
/// <list type="bullet">
/// <item>UTF-8 text, one signal per line; each line is stripped of surrounding whitespace;</item>
/// <item>a line is <c>SIGNAL_TYPE SIGNAL</c>, split at the first space (<c>line.strip().partition(" ")</c>), or only
/// <c>SIGNAL</c> when the collaboration's config sets <c>signal_type</c>; blank lines are skipped;</item>
/// <item>the file's own writer (<c>report_opinion</c>) appends <c>f"{s_type.get_name()} {signal}\n"</c>;</item>
/// <item>type names are <c>SignalType.get_name()</c>: the class name without "Signal", in snake case. PDQ is
/// <c>pdq</c> (<c>PdqSignal</c>), whose <c>validate_signal_str</c> takes exactly 64 lower-case hex digits. There is no
/// type for an image's MD5 or SHA-256 (<c>video_md5</c> and <c>video_sha256</c> are for videos), so only PDQ records
/// are written.</item>
/// </list>
/// The rows carry no labels or metadata: the format has none (its <c>FetchedSignalMetadata</c> is empty).
/// </remarks>
internal static class LocalFileExchange
{
    /// <summary>python-threatexchange's name of the PDQ signal type.</summary>
    public const string PdqTypeName = "pdq";

    /// <summary>The line of one PDQ record.</summary>
    public static string Line(HashRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return PdqTypeName + " " + record.Value;
    }
}
