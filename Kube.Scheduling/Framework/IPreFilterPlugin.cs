using k8s.Models;

namespace Kube.Scheduling.Framework;

/// <summary>Runs once per scheduling cycle before Filter: pre-computes state, or rejects the pod outright.</summary>
public interface IPreFilterPlugin : IPlugin
{
    Status PreFilter(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> nodes);
}
