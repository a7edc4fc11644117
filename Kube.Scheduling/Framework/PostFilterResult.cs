namespace Kube.Scheduling.Framework;

/// <summary>The outcome of PostFilter: success with the node the pod was nominated to (after preemption), or why not.</summary>
public sealed record PostFilterResult(string? NominatedNodeName, Status Status)
{
    /// <summary>Unschedulable, with no message: the plugin cannot help.</summary>
    public static PostFilterResult Unschedulable { get; } = new(null, Status.Unschedulable());
}
