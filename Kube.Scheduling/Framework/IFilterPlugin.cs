using k8s.Models;

namespace Kube.Scheduling.Framework;

/// <summary>
/// Decides whether the pod can run on one node. Called in parallel for different nodes. Return
/// <see cref="StatusCode.Unschedulable"/> (or UnschedulableAndUnresolvable) with the reasons users should read.
/// </summary>
public interface IFilterPlugin : IPlugin
{
    Status Filter(CycleState state, V1Pod pod, NodeInfo nodeInfo);
}
