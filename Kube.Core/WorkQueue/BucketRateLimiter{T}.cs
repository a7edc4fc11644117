namespace Kube.Core.WorkQueue;

/// <summary>
/// An overall token bucket shared by all items (client-go's <c>BucketRateLimiter</c> over <c>rate.Limiter</c>):
/// <c>burst</c> tokens are available at once and refill at <c>qps</c> per second. Every call takes a token,
/// reserving a future one when the bucket is empty, so the returned delays space calls <c>1/qps</c> apart.
/// Defaults: 10 qps, burst 100. It keeps no per-item state.
/// </summary>
public sealed class BucketRateLimiter<T> : IRateLimiter<T>
    where T : notnull
{
    /// <summary>The default refill rate: 10 tokens per second.</summary>
    public const double DefaultQps = 10;

    /// <summary>The default bucket size: 100 tokens.</summary>
    public const int DefaultBurst = 100;

    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private double _tokens;
    private long _last;

    /// <param name="qps">Tokens per second; default 10.</param>
    /// <param name="burst">Bucket size; default 100.</param>
    /// <param name="time">The clock; default <see cref="TimeProvider.System"/>.</param>
    public BucketRateLimiter(double qps = DefaultQps, int burst = DefaultBurst, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(qps);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(burst);
        Qps = qps;
        Burst = burst;
        _time = time ?? TimeProvider.System;
        _tokens = burst;
        _last = _time.GetTimestamp();
    }

    public double Qps { get; }

    public int Burst { get; }

    public TimeSpan When(T item)
    {
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            var elapsed = _time.GetElapsedTime(_last, now);
            _last = now;
            _tokens = Math.Min(Burst, _tokens + elapsed.TotalSeconds * Qps);
            _tokens -= 1;
            return _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / Qps);
        }
    }

    public void Forget(T item)
    {
    }

    public int NumRequeues(T item) => 0;
}
