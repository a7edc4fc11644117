namespace Kube.Core.WorkQueue;

/// <summary>
/// Per-item exponential backoff: the n-th failure of an item waits <c>baseDelay * 2^(n-1)</c>, capped at
/// <c>maxDelay</c>. Defaults are client-go's: 5 ms to 1000 s.
/// </summary>
public sealed class ItemExponentialFailureRateLimiter<T> : IRateLimiter<T>
    where T : notnull
{
    /// <summary>The default first delay: 5 ms.</summary>
    public static readonly TimeSpan DefaultBaseDelay = TimeSpan.FromMilliseconds(5);

    /// <summary>The default cap: 1000 s.</summary>
    public static readonly TimeSpan DefaultMaxDelay = TimeSpan.FromSeconds(1000);

    private readonly Lock _lock = new();
    private readonly Dictionary<T, int> _failures = [];

    /// <param name="baseDelay">The first delay; default 5 ms.</param>
    /// <param name="maxDelay">The cap; default 1000 s.</param>
    public ItemExponentialFailureRateLimiter(TimeSpan? baseDelay = null, TimeSpan? maxDelay = null)
    {
        BaseDelay = baseDelay ?? DefaultBaseDelay;
        MaxDelay = maxDelay ?? DefaultMaxDelay;
        ArgumentOutOfRangeException.ThrowIfLessThan(BaseDelay, TimeSpan.Zero, nameof(baseDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDelay, BaseDelay, nameof(maxDelay));
    }

    public TimeSpan BaseDelay { get; }

    public TimeSpan MaxDelay { get; }

    public TimeSpan When(T item)
    {
        int exp;
        lock (_lock)
        {
            _failures.TryGetValue(item, out exp);
            _failures[item] = exp + 1;
        }

        // 2^exp overflows long well before 63; anything that large is past the cap anyway.
        if (exp >= 62) return MaxDelay;
        var ticks = (double)BaseDelay.Ticks * Math.Pow(2, exp);
        return ticks >= MaxDelay.Ticks ? MaxDelay : TimeSpan.FromTicks((long)ticks);
    }

    public void Forget(T item)
    {
        lock (_lock) _failures.Remove(item);
    }

    public int NumRequeues(T item)
    {
        lock (_lock) return _failures.TryGetValue(item, out var n) ? n : 0;
    }
}
