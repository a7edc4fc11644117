namespace Kube.Core.WorkQueue;

/// <summary>Ready-made rate limiters.</summary>
public static class RateLimiters
{
    /// <summary>
    /// client-go's <c>DefaultControllerRateLimiter</c>: the maximum of per-item exponential backoff
    /// (5 ms doubling to 1000 s) and an overall token bucket (10 qps, burst 100).
    /// </summary>
    public static IRateLimiter<T> DefaultControllerRateLimiter<T>(TimeProvider? time = null)
        where T : notnull =>
        new MaxOfRateLimiter<T>(
            new ItemExponentialFailureRateLimiter<T>(),
            new BucketRateLimiter<T>(BucketRateLimiter<T>.DefaultQps, BucketRateLimiter<T>.DefaultBurst, time));
}
