using System.ComponentModel.DataAnnotations;

namespace HashForum.Storage.Garnet;

/// <summary>Settings of the embedded Garnet server, bound from <c>HashForum:Store:Embedded</c>.</summary>
public sealed class EmbeddedGarnetOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "HashForum:Store:Embedded";

    /// <summary>Loopback port to listen on; 0 picks a free one. The server listens on 127.0.0.1 only.</summary>
    [Range(0, 65535)]
    public int Port { get; set; }

    /// <summary>
    /// Memory for the main log (Garnet's <c>--memory</c>); records beyond it go to disk in the data folder.
    /// </summary>
    [Required]
    public string Memory { get; set; } = "1g";

    /// <summary>Initial size of Garnet's hash index (<c>--index</c>); it grows up to <see cref="IndexMax"/>.</summary>
    [Required]
    public string Index { get; set; } = "64m";

    /// <summary>
    /// Whether a write is acknowledged only once its AOF commit is flushed (Garnet's <c>--aof-commit-wait</c>).
    /// Without it every write is still committed at once (<c>--aof-commit-freq 0</c>), but the reply can precede the
    /// commit: in this project's kill -9 test, 5 of 304 acknowledged writes were lost that way. Off only for
    /// throwaway data (benchmarks).
    /// </summary>
    public bool WaitForCommit { get; set; } = true;

    /// <summary>Largest size of Garnet's hash index (<c>--index-max-size</c>).</summary>
    [Required]
    public string IndexMax { get; set; } = "1g";
}
