namespace Kube.Core.WorkQueue;

/// <summary>
/// Decides how long an item waits before it is re-queued, as client-go's <c>workqueue.TypedRateLimiter</c>.
/// Implementations are thread-safe.
/// </summary>
public interface IRateLimiter<T>
    where T : notnull
{
    /// <summary>Records one more attempt for <paramref name="item"/> and returns how long it must wait.</summary>
    TimeSpan When(T item);

    /// <summary>Clears the item's history (after it was processed successfully).</summary>
    void Forget(T item);

    /// <summary>How many times <see cref="When"/> was called for the item since the last <see cref="Forget"/>.</summary>
    int NumRequeues(T item);
}
