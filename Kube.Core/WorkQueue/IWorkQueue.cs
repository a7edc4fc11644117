namespace Kube.Core.WorkQueue;

/// <summary>
/// A de-duplicating work queue with the guarantees of client-go's workqueue: an item added many times
/// before it is taken is processed once; an item is never handed to two workers at once (re-adds while
/// it is processing are held until <see cref="Done"/>).
/// </summary>
public interface IWorkQueue<T> : IDisposable
    where T : notnull
{
    void Add(T item);

    /// <summary>Adds the item after a delay.</summary>
    void AddAfter(T item, TimeSpan delay);

    /// <summary>Adds the item after the rate limiter's delay for it (per-item exponential backoff and a token bucket).</summary>
    void AddRateLimited(T item);

    /// <summary>Clears the item's backoff history (call after a success).</summary>
    void Forget(T item);

    /// <summary>How many times the item was rate-limited since the last <see cref="Forget"/>.</summary>
    int NumRequeues(T item);

    /// <summary>Waits for the next item. Returns (false, default) once the queue is shut down and drained.</summary>
    ValueTask<(bool Ok, T Item)> GetAsync(CancellationToken cancellationToken = default);

    /// <summary>Marks the item as processed; if it was re-added meanwhile it is queued again.</summary>
    void Done(T item);

    int Count { get; }

    /// <summary>Stops accepting items; <see cref="GetAsync"/> drains what is queued, then returns false.</summary>
    void ShutDown();

    bool IsShuttingDown { get; }
}
