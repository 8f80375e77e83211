using Microsoft.Extensions.Options;

namespace HashForum.Membership.Tests;

internal sealed class MemberRateLimiterTests
{
    private static Caller CallerOf(string member, double rate = 0, int burst = 0) =>
        new(member, member, MemberKind.Member, "k", Scopes.Lookup, null, rate, burst);

    [Test]
    public void TryAcquire_BurstUsedUp_RefusedWithRetryAfter()
    {
        var time = new ManualTime();
        var limiter = new MemberRateLimiter(Options.Create(new MembershipOptions()), time);
        var caller = CallerOf("m", rate: 2, burst: 3);

        var accepted = Enumerable.Range(0, 3).Count(i => limiter.TryAcquire(caller, out _));
        var refused = !limiter.TryAcquire(caller, out var retryAfter);

        Assert.That(accepted, Is.EqualTo(3));
        Assert.That(refused, Is.True);
        Assert.That(retryAfter, Is.EqualTo(TimeSpan.FromSeconds(0.5)).Within(TimeSpan.FromMilliseconds(1)));
    }

    [Test]
    public void TryAcquire_AfterRefill_AcceptedAgain()
    {
        var time = new ManualTime();
        var limiter = new MemberRateLimiter(Options.Create(new MembershipOptions()), time);
        var caller = CallerOf("m", rate: 2, burst: 1);
        limiter.TryAcquire(caller, out _);
        Assert.That(limiter.TryAcquire(caller, out _), Is.False);

        time.Advance(TimeSpan.FromSeconds(0.5));

        Assert.That(limiter.TryAcquire(caller, out _), Is.True);
    }

    [Test]
    public void TryAcquire_NoOwnLimit_ServerDefaultApplies()
    {
        var limiter = new MemberRateLimiter(Options.Create(new MembershipOptions { DefaultRatePerSecond = 1, DefaultBurst = 5 }), new ManualTime());
        var caller = CallerOf("m");

        var accepted = Enumerable.Range(0, 10).Count(i => limiter.TryAcquire(caller, out _));

        Assert.That(accepted, Is.EqualTo(5));
    }

    [Test]
    public void TryAcquire_OneMemberExhausted_OtherMemberUnaffected()
    {
        var limiter = new MemberRateLimiter(Options.Create(new MembershipOptions()), new ManualTime());
        var busy = CallerOf("busy", rate: 1, burst: 1);
        limiter.TryAcquire(busy, out _);

        Assert.That(limiter.TryAcquire(busy, out _), Is.False);
        Assert.That(limiter.TryAcquire(CallerOf("quiet", rate: 1, burst: 1), out _), Is.True);
    }

    [Test]
    public void LimitOf_RateWithoutBurst_OneSecondsWorth()
    {
        var limiter = new MemberRateLimiter(Options.Create(new MembershipOptions()), new ManualTime());

        Assert.That(limiter.LimitOf(CallerOf("m", rate: 7.5)), Is.EqualTo((7.5, 8)));
    }
}
