namespace Kube.Scheduling.Framework;

/// <summary>The outcome of PostFilter: success with the node the pod was nominated to (after preemption), or why not.</summary>
public sealed record PostFilterResult(string? NominatedNodeName, Status Status)
{
    /// <summary>Unschedulable, with no message: the plugin cannot help.</summary>
    public static PostFilterResult Unschedulable { get; } = new(null, Status.Unschedulable());

    /// <summary>
    /// Work the plugin left running after it returned (asynchronous preemption's API calls), or null. The scheduling loop
    /// does not wait for it, but the pod is not tried again before it completes; a fault sends the pod to backoff.
    /// </summary>
    public Task? Pending { get; init; }

    /// <summary>
    /// The UIDs of the pods the nominated pod waits to see go (preemption's victims), or null. Cluster events do not bring
    /// the pod back to be tried while the scheduler's cache still has one of them running, as upstream's check of the
    /// last victim: a retry before the cache caught up would find the node still full and preempt again.
    /// </summary>
    public IReadOnlyList<string>? AwaitedPodUids { get; init; }
}
