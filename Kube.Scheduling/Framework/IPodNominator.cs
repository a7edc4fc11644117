using k8s.Models;

namespace Kube.Scheduling.Framework;

/// <summary>
/// Pods nominated to nodes (their <c>status.nominatedNodeName</c>): the scheduler counts them on those nodes when it
/// filters pods of lower or equal priority, so the room preemption freed is not taken by others.
/// </summary>
public interface IPodNominator
{
    /// <summary>Nominates <paramref name="pod"/> to <paramref name="nodeName"/> (replacing an earlier nomination).</summary>
    void AddNominatedPod(V1Pod pod, string nodeName);

    /// <summary>Forgets the pod's nomination, if any.</summary>
    void DeleteNominatedPodIfExists(V1Pod pod);

    /// <summary>The pods nominated to <paramref name="nodeName"/>.</summary>
    IReadOnlyList<V1Pod> NominatedPodsForNode(string nodeName);
}
