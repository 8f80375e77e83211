using System.ComponentModel.DataAnnotations;

namespace HashForum.Membership;

/// <summary>
/// Authentication, rate-limit and audit settings, bound from <c>HashForum:Membership</c>; <c>HASHFORUM_PEPPER</c>
/// fills <see cref="Pepper"/> when the section leaves it unset.
/// </summary>
public sealed class MembershipOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "HashForum:Membership";

    /// <summary>The flat configuration key (environment variable) for <see cref="Pepper"/>.</summary>
    public const string PepperVariable = "HASHFORUM_PEPPER";

    /// <summary>
    /// The pepper keys are HMACed under: at least 32 random bytes, hex or base64. Servers sharing a store must share
    /// it. Unset: read from (or, on first start, generated into) <c>pepper</c> in the data folder. Never logged.
    /// </summary>
    public string? Pepper { get; set; }

    /// <summary>
    /// How long a validated key is trusted without asking the store again. Revocation and suspension reach every
    /// server within this time even if the publish/subscribe invalidation is lost, so it is at most 4 seconds.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:04")]
    public TimeSpan KeyCacheDuration { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Default sustained request rate per member (requests per second) when the member has none of its own.</summary>
    [Range(0.001, 1_000_000)]
    public double DefaultRatePerSecond { get; set; } = 100;

    /// <summary>Default bucket size (requests at once after a quiet period) when the member has none of its own.</summary>
    [Range(1, 10_000_000)]
    public int DefaultBurst { get; set; } = 200;

    /// <summary>Audit entries kept; older ones are trimmed.</summary>
    [Range(100, 100_000_000)]
    public int AuditCapacity { get; set; } = 1_000_000;

    /// <summary>Authentication failures written to the audit log per second per server; beyond, they are only counted in the log.</summary>
    [Range(0, 100_000)]
    public double AuditFailuresPerSecond { get; set; } = 20;

    /// <summary>How often a key's "last used" time is written at most.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan LastUsedInterval { get; set; } = TimeSpan.FromMinutes(1);
}
