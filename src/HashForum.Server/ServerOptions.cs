using System.ComponentModel.DataAnnotations;

namespace HashForum.Server;

/// <summary>What the server does with compressed (<c>grpc-encoding</c>) requests.</summary>
public enum RequestCompression
{
    /// <summary>Refused with UNIMPLEMENTED: no decompression at all (the default).</summary>
    Refuse = 0,

    /// <summary>gzip is decompressed, and refused with RESOURCE_EXHAUSTED past <see cref="ServerOptions.MaxReceiveMessageBytes"/>.</summary>
    Decompress = 1,
}

/// <summary>
/// Transport settings, bound from <c>HashForum:Server</c>; <c>HASHFORUM_TLS_CERT</c>, <c>HASHFORUM_TLS_KEY</c> fill
/// the certificate paths when the section leaves them unset.
/// </summary>
public sealed class ServerOptions
{
    public const string SectionName = "HashForum:Server";
    public const string CertificateVariable = "HASHFORUM_TLS_CERT";
    public const string CertificateKeyVariable = "HASHFORUM_TLS_KEY";

    /// <summary>Largest request message, after decompression (bytes).</summary>
    [Range(1024, 256 * 1024 * 1024)]
    public int MaxReceiveMessageBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Largest response message (bytes).</summary>
    [Range(1024, int.MaxValue)]
    public int MaxSendMessageBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Compressed requests: refused (default) or decompressed within <see cref="MaxReceiveMessageBytes"/>.</summary>
    public RequestCompression Compression { get; set; } = RequestCompression.Refuse;

    /// <summary>
    /// TLS certificate: a PEM certificate (with <see cref="CertificateKeyPath"/>) or a PKCS#12 file (with
    /// <see cref="CertificatePassword"/> if it has one). Set, every <c>https://</c> address uses it.
    /// </summary>
    public string? CertificatePath { get; set; }

    /// <summary>PEM private key of <see cref="CertificatePath"/>.</summary>
    public string? CertificateKeyPath { get; set; }

    /// <summary>Password of a PKCS#12 <see cref="CertificatePath"/>. Never logged.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>
    /// Allows plain HTTP on addresses other than loopback (e.g. behind a TLS-terminating proxy on a private network).
    /// Off: the server refuses to start on such an address, since keys would travel in clear text.
    /// </summary>
    public bool AllowInsecureRemote { get; set; }
}
