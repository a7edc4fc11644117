using k8s.Models;

namespace Kube.Scheduling.Framework;

/// <summary>Informational: told after a pod was bound (for cleanup). Cannot fail the binding.</summary>
public interface IPostBindPlugin : IPlugin
{
    void PostBind(CycleState state, V1Pod pod, string nodeName);
}
