using HashForum.Membership.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace HashForum.Membership;

/// <summary>
/// Writes audit entries on behalf of request handlers: failures to write are logged, never thrown, so an audit hiccup
/// does not fail an action that already happened. Authentication failures are written at most
/// <see cref="MembershipOptions.AuditFailuresPerSecond"/> per second, so a flood of bad keys cannot push the
/// operators' actions out of the capped log; the rest are counted in the server log.
/// </summary>
public sealed class AuditWriter
{
    private readonly IAuditLog _log;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly double _failuresPerSecond;
    private readonly Lock _lock = new();
    private double _failureTokens;
    private long _failureUpdated;
    private long _dropped;

    public AuditWriter(IAuditLog log, IOptions<MembershipOptions> options, TimeProvider time, ILogger<AuditWriter>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _log = log;
        _time = time;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _failuresPerSecond = options.Value.AuditFailuresPerSecond;
        _failureTokens = Math.Max(1, _failuresPerSecond);
        _failureUpdated = time.GetTimestamp();
    }

    /// <summary>Writes one entry; logs (and swallows) a failure to write.</summary>
    public async Task WriteAsync(
        string memberId, string keyId, string method, string peer, string outcome, string detail, CancellationToken cancellationToken = default)
    {
        try
        {
            await _log.WriteAsync(memberId, keyId, method, peer, outcome, detail, cancellationToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The action already happened; the failure to record it is logged, not thrown at the caller.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            MembershipLog.AuditWriteFailed(_logger, method, outcome, ex);
        }
    }

    /// <summary>Records an authentication failure, in the background and within the failure budget.</summary>
    public void AuthenticationFailed(string? memberId, string? keyId, string method, string peer, string outcome, string detail)
    {
        long dropped = 0;
        bool write;
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            var burst = Math.Max(1, _failuresPerSecond);
            _failureTokens = Math.Min(burst, _failureTokens + (_time.GetElapsedTime(_failureUpdated, now).TotalSeconds * _failuresPerSecond));
            _failureUpdated = now;
            write = _failureTokens >= 1;
            if (write)
            {
                _failureTokens -= 1;
                dropped = _dropped;
                _dropped = 0;
            }
            else
            {
                _dropped++;
            }
        }

        if (dropped > 0)
        {
            MembershipLog.AuditFailuresDropped(_logger, dropped, _failuresPerSecond);
        }

        if (write)
        {
            _ = WriteAsync(memberId ?? string.Empty, keyId ?? string.Empty, method, peer, outcome, detail, CancellationToken.None);
        }
    }
}
