using k8s.Models;
using Kube.Scheduling.Framework;

namespace Kube.Scheduling.Plugins.NodeName;

/// <summary>Filter: a pod that names a node (<c>spec.nodeName</c>) fits only that node.</summary>
public sealed class NodeNamePlugin : IFilterPlugin, IEnqueueExtensions
{
    public const string PluginName = "NodeName";
    public const string ErrReason = "node(s) didn't match the requested node name";

    public string Name => PluginName;

    /// <summary>Only the named node being added helps.</summary>
    public IReadOnlyList<ClusterEventWithHint> EventsToRegister() =>
    [
        new(new ClusterEvent(EventResource.Node, ActionType.Add), (pod, _, n) =>
            n is V1Node node && (string.IsNullOrEmpty(pod.Spec?.NodeName) || pod.Spec.NodeName == node.Metadata.Name) ? QueueingHint.Queue : QueueingHint.QueueSkip),
    ];


    public Status Filter(CycleState state, V1Pod pod, NodeInfo nodeInfo)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(nodeInfo);
        var wanted = pod.Spec?.NodeName;
        return string.IsNullOrEmpty(wanted) || wanted == nodeInfo.Name ? Status.Success : Status.UnschedulableAndUnresolvable(ErrReason);
    }
}
