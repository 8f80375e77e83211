using System.Diagnostics;

namespace HashForum.Imaging.Internal;

/// <summary>
/// The time budget of one decode.
/// </summary>
/// <remarks>
/// ImageSharp 2.1's JPEG decoder honours the token between segments and rows of blocks, so a slow
/// JPEG is stopped part-way. The PNG, GIF and WebP decoders never look at it; their work is bounded
/// by the pixel and input limits instead, and the budget is checked between stages, so a decode
/// that overran is refused all the same (the rule is the same for every format, and it does not
/// depend on when a timer thread gets to run).
/// </remarks>
internal sealed class DecodeDeadline : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly TimeSpan _budget;

    public DecodeDeadline(TimeSpan budget)
    {
        _budget = budget;
        _source = new CancellationTokenSource(budget);
    }

    public CancellationToken Token => _source.Token;

    public bool Expired => _source.IsCancellationRequested || Stopwatch.GetElapsedTime(_started) > _budget;

    public void ThrowIfExpired()
    {
        if (Expired)
        {
            throw new OperationCanceledException(_source.Token);
        }
    }

    public void Dispose() => _source.Dispose();
}
