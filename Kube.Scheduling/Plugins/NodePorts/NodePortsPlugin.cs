using k8s.Models;
using Kube.Scheduling.Framework;

namespace Kube.Scheduling.Plugins.NodePorts;

/// <summary>
/// Filter: the pod's host ports are free on the node. Two ports conflict when they have the same port and protocol
/// (default TCP) and their host IPs overlap: equal, or either is empty or 0.0.0.0 (all addresses).
/// </summary>
public sealed class NodePortsPlugin : IPreFilterPlugin, IFilterPlugin, IEnqueueExtensions
{
    public const string PluginName = "NodePorts";

    /// <summary>Upstream's reason.</summary>
    public const string ErrReason = "node(s) didn't have free ports for the requested pod ports";

    private const string StateKey = "PreFilter" + PluginName;

    public string Name => PluginName;

    /// <summary>A pod deleted (freeing ports) or a node added or changed.</summary>
    public IReadOnlyList<ClusterEventWithHint> EventsToRegister() =>
    [
        new(new ClusterEvent(EventResource.Pod, ActionType.Delete), (pod, o, _) => o is V1Pod gone && HostPorts(gone).Count > 0 ? QueueingHint.Queue : QueueingHint.QueueSkip),
        new(new ClusterEvent(EventResource.Node, ActionType.Add | ActionType.Update)),
    ];


    public Status PreFilter(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> nodes)
    {
        ArgumentNullException.ThrowIfNull(state);
        var ports = HostPorts(pod);
        if (ports.Count == 0) return Status.Skip;
        state.Write(StateKey, ports);
        return Status.Success;
    }

    public Status Filter(CycleState state, V1Pod pod, NodeInfo nodeInfo)
    {
        ArgumentNullException.ThrowIfNull(nodeInfo);
        var wanted = state is not null && state.TryRead<List<HostPort>>(StateKey, out var w) ? w : HostPorts(pod);
        if (wanted.Count == 0) return Status.Success;
        foreach (var existing in nodeInfo.Pods)
            foreach (var used in HostPorts(existing))
                foreach (var want in wanted)
                    if (want.ConflictsWith(used)) return Status.Unschedulable(ErrReason);
        return Status.Success;
    }

    /// <summary>The host ports a pod's containers (and init containers) ask for.</summary>
    public static List<HostPort> HostPorts(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        var result = new List<HostPort>();
        void Collect(IEnumerable<V1Container>? containers)
        {
            foreach (var c in containers ?? [])
                foreach (var p in c.Ports ?? [])
                    if (p.HostPort is > 0) result.Add(new HostPort(p.HostIP, string.IsNullOrEmpty(p.Protocol) ? "TCP" : p.Protocol, p.HostPort.Value));
        }

        Collect(pod.Spec?.InitContainers);
        Collect(pod.Spec?.Containers);
        return result;
    }
}
