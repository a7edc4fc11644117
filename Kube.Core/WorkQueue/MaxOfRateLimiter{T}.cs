namespace Kube.Core.WorkQueue;

/// <summary>Asks every limiter and waits for the longest delay; <see cref="NumRequeues"/> is the largest count.</summary>
public sealed class MaxOfRateLimiter<T> : IRateLimiter<T>
    where T : notnull
{
    private readonly IRateLimiter<T>[] _limiters;

    public MaxOfRateLimiter(params IRateLimiter<T>[] limiters)
    {
        ArgumentNullException.ThrowIfNull(limiters);
        if (limiters.Length == 0) throw new ArgumentException("At least one rate limiter is required.", nameof(limiters));
        _limiters = limiters;
    }

    public TimeSpan When(T item)
    {
        var max = TimeSpan.Zero;
        foreach (var l in _limiters)
        {
            var d = l.When(item);
            if (d > max) max = d;
        }

        return max;
    }

    public void Forget(T item)
    {
        foreach (var l in _limiters) l.Forget(item);
    }

    public int NumRequeues(T item)
    {
        var max = 0;
        foreach (var l in _limiters) max = Math.Max(max, l.NumRequeues(item));
        return max;
    }
}
