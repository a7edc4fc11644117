using k8s.Models;
using Kube.Scheduling.Framework;

namespace Kube.Scheduling.Plugins.SchedulingGates;

/// <summary>PreEnqueue: a pod with <c>spec.schedulingGates</c> stays out of the queue until every gate is removed.</summary>
public sealed class SchedulingGatesPlugin : IPreEnqueuePlugin
{
    public const string PluginName = "SchedulingGates";

    public string Name => PluginName;

    public Status PreEnqueue(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        var gates = pod.Spec?.SchedulingGates;
        if (gates is null || gates.Count == 0) return Status.Success;
        return new Status(StatusCode.UnschedulableAndUnresolvable,
            [$"waiting for scheduling gates: [{string.Join(' ', gates.Select(g => g.Name))}]"], PluginName);
    }
}
