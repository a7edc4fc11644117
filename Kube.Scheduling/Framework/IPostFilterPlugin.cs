using k8s.Models;

namespace Kube.Scheduling.Framework;

/// <summary>
/// Runs when no node passed Filter (for example preemption). Success with a nominated node name means the pod may fit
/// there later; anything else leaves the pod unschedulable, and the status's message is appended to the
/// FailedScheduling message. <paramref name="filteredNodeStatuses"/> holds every node's Filter status.
/// </summary>
public interface IPostFilterPlugin : IPlugin
{
    Task<PostFilterResult> PostFilterAsync(CycleState state, V1Pod pod, IReadOnlyDictionary<string, Status> filteredNodeStatuses, CancellationToken cancellationToken);
}
