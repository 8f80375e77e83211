using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace HashForum.Membership;

/// <summary>
/// Per-member token buckets (in this server's memory: a member spread over N servers gets up to N times its rate).
/// A member's own rate and burst apply when set, the defaults of <see cref="MembershipOptions"/> otherwise; a member
/// with a rate but no burst gets a burst of one second's worth.
/// </summary>
public sealed class MemberRateLimiter(IOptions<MembershipOptions> options, TimeProvider time)
{
    private readonly MembershipOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);

    /// <summary>Takes one token for <paramref name="caller"/>'s member; false (and when to retry) when none is left.</summary>
    public bool TryAcquire(Caller caller, out TimeSpan retryAfter)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var (rate, burst) = LimitOf(caller);
        var now = time.GetTimestamp();
        var bucket = _buckets.GetOrAdd(caller.MemberId, _ => new Bucket(rate, burst, now));
        lock (bucket)
        {
            if (bucket.Rate != rate || bucket.Burst != burst)
            {
                bucket.Rate = rate;
                bucket.Burst = burst;
                bucket.Tokens = Math.Min(bucket.Tokens, burst);
            }

            var elapsed = time.GetElapsedTime(bucket.Updated, now).TotalSeconds;
            bucket.Tokens = Math.Min(burst, bucket.Tokens + (elapsed * rate));
            bucket.Updated = now;
            if (bucket.Tokens >= 1)
            {
                bucket.Tokens -= 1;
                retryAfter = TimeSpan.Zero;
                return true;
            }

            retryAfter = TimeSpan.FromSeconds((1 - bucket.Tokens) / rate);
            return false;
        }
    }

    /// <summary>The rate (per second) and burst that apply to <paramref name="caller"/>.</summary>
    public (double Rate, int Burst) LimitOf(Caller caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (caller.RatePerSecond > 0)
        {
            return (caller.RatePerSecond, caller.Burst > 0 ? caller.Burst : Math.Max(1, (int)Math.Ceiling(caller.RatePerSecond)));
        }

        return (_options.DefaultRatePerSecond, caller.Burst > 0 ? caller.Burst : _options.DefaultBurst);
    }

    private sealed class Bucket(double rate, int burst, long now)
    {
        public double Rate { get; set; } = rate;

        public int Burst { get; set; } = burst;

        public double Tokens { get; set; } = burst;

        public long Updated { get; set; } = now;
    }
}
