using k8s.Models;

namespace Kube.Scheduling.Framework;

/// <summary>
/// Told when a pod is assumed on a node (Reserve) and when that is undone because a later step failed (Unreserve).
/// Unreserve must be idempotent.
/// </summary>
public interface IReservePlugin : IPlugin
{
    Status Reserve(CycleState state, V1Pod pod, string nodeName);

    void Unreserve(CycleState state, V1Pod pod, string nodeName);
}
