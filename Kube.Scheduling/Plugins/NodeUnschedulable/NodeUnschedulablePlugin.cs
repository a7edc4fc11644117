using k8s.Models;
using Kube.Scheduling.Framework;
using Kube.Scheduling.Plugins.TaintToleration;

namespace Kube.Scheduling.Plugins.NodeUnschedulable;

/// <summary>
/// Filter: nodes with <c>spec.unschedulable</c> (cordoned) take only pods that tolerate the
/// <c>node.kubernetes.io/unschedulable:NoSchedule</c> taint.
/// </summary>
public sealed class NodeUnschedulablePlugin : IFilterPlugin
{
    public const string PluginName = "NodeUnschedulable";
    public const string ErrReason = "node(s) were unschedulable";
    public const string TaintKey = "node.kubernetes.io/unschedulable";

    private static readonly V1Taint UnschedulableTaint = new() { Key = TaintKey, Effect = "NoSchedule" };

    public string Name => PluginName;

    public Status Filter(CycleState state, V1Pod pod, NodeInfo nodeInfo)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(nodeInfo);
        if (nodeInfo.Node.Spec?.Unschedulable != true) return Status.Success;
        return Tolerations.Tolerates(pod.Spec?.Tolerations, UnschedulableTaint) ? Status.Success : Status.UnschedulableAndUnresolvable(ErrReason);
    }
}
