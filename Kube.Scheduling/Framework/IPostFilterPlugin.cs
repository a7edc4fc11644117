using k8s.Models;

namespace Kube.Scheduling.Framework;

/// <summary>
/// Runs when no node passed Filter (for example preemption). Success with a nominated node name means the pod may fit
/// there later; anything else leaves the pod unschedulable.
/// </summary>
public interface IPostFilterPlugin : IPlugin
{
    (string? NominatedNodeName, Status Status) PostFilter(CycleState state, V1Pod pod, IReadOnlyDictionary<string, Status> filteredNodeStatuses);
}
