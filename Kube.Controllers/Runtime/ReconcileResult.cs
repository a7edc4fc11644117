namespace Kube.Controllers.Runtime;

/// <summary>
/// The outcome of one reconcile: <see cref="Done"/>, or <see cref="RequeueAfter"/> a delay.
/// A reconciler that throws gets a rate-limited retry (per-item exponential backoff).
/// </summary>
public readonly record struct ReconcileResult
{
    /// <summary>When set, the request is queued again after this delay (its backoff history is cleared).</summary>
    public TimeSpan? RequeueDelay { get; init; }

    /// <summary>The object is in line; nothing more to do until the next event.</summary>
    public static ReconcileResult Done => default;

    /// <summary>Reconcile again after <paramref name="delay"/>.</summary>
    public static ReconcileResult RequeueAfter(TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        return new ReconcileResult { RequeueDelay = delay };
    }
}
