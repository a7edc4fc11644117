using Kube.Scheduling.Framework;
using Kube.Scheduling.Queue;

namespace Kube.Scheduling.Plugins.PrioritySort;

/// <summary>QueueSort: higher <c>spec.priority</c> first, then the pod that entered the queue earlier (upstream's PrioritySort).</summary>
public sealed class PrioritySortPlugin : IQueueSortPlugin
{
    public const string PluginName = "PrioritySort";

    public string Name => PluginName;

    public bool Less(QueuedPodInfo a, QueuedPodInfo b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var pa = a.Pod.Spec?.Priority ?? 0;
        var pb = b.Pod.Spec?.Priority ?? 0;
        return pa > pb || (pa == pb && a.Timestamp < b.Timestamp);
    }
}
