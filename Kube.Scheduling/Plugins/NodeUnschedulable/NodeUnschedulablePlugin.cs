using k8s.Models;
using Kube.Scheduling.Framework;
using Kube.Scheduling.Plugins.TaintToleration;

namespace Kube.Scheduling.Plugins.NodeUnschedulable;

/// <summary>
/// Filter: nodes with <c>spec.unschedulable</c> (cordoned) take only pods that tolerate the
/// <c>node.kubernetes.io/unschedulable:NoSchedule</c> taint.
/// </summary>
public sealed class NodeUnschedulablePlugin : IFilterPlugin, IEnqueueExtensions
{
    public const string PluginName = "NodeUnschedulable";
    public const string ErrReason = "node(s) were unschedulable";
    public const string TaintKey = "node.kubernetes.io/unschedulable";

    private static readonly V1Taint UnschedulableTaint = new() { Key = TaintKey, Effect = "NoSchedule" };

    public string Name => PluginName;

    /// <summary>A node added or uncordoned (its taints changed) may take the pod: queued when it is schedulable or tolerated.</summary>
    public IReadOnlyList<ClusterEventWithHint> EventsToRegister() =>
    [
        new(new ClusterEvent(EventResource.Node, ActionType.Add | ActionType.UpdateNodeTaint), (pod, _, n) =>
            n is V1Node node && (node.Spec?.Unschedulable != true || Tolerations.Tolerates(pod.Spec?.Tolerations, UnschedulableTaint)) ? QueueingHint.Queue : QueueingHint.QueueSkip),
    ];


    public Status Filter(CycleState state, V1Pod pod, NodeInfo nodeInfo)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(nodeInfo);
        if (nodeInfo.Node.Spec?.Unschedulable != true) return Status.Success;
        return Tolerations.Tolerates(pod.Spec?.Tolerations, UnschedulableTaint) ? Status.Success : Status.UnschedulableAndUnresolvable(ErrReason);
    }
}
