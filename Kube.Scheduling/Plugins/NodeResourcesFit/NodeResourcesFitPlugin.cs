using k8s.Models;
using Kube.Scheduling.Framework;

namespace Kube.Scheduling.Plugins.NodeResourcesFit;

/// <summary>
/// Filter: the pod's requests fit the node's allocatable minus what its pods request (cpu, memory, ephemeral storage,
/// the pod count and extended resources), with upstream's reasons ("Insufficient cpu", "Too many pods").
/// Score: LeastAllocated over cpu and memory (weight 1 each): the more stays free, the higher.
/// </summary>
public sealed class NodeResourcesFitPlugin : IPreFilterPlugin, IFilterPlugin, IScorePlugin
{
    public const string PluginName = "NodeResourcesFit";
    private const string StateKey = "PreFilter" + PluginName;

    public string Name => PluginName;

    public Status PreFilter(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> nodes)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.Write(StateKey, Resource.PodRequests(pod));
        return Status.Success;
    }

    public Status Filter(CycleState state, V1Pod pod, NodeInfo nodeInfo)
    {
        ArgumentNullException.ThrowIfNull(nodeInfo);
        var request = state is not null && state.TryRead<Resource>(StateKey, out var r) ? r : Resource.PodRequests(pod);
        var reasons = InsufficientResources(request, nodeInfo);
        return reasons.Count == 0 ? Status.Success : new Status(StatusCode.Unschedulable, reasons);
    }

    /// <summary>The reasons the request does not fit, in upstream's order: pods, cpu, memory, ephemeral storage, extended.</summary>
    public static List<string> InsufficientResources(Resource request, NodeInfo nodeInfo)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(nodeInfo);
        var reasons = new List<string>();
        var allocatable = nodeInfo.Allocatable;
        var requested = nodeInfo.Requested;
        if (nodeInfo.Pods.Count + 1 > allocatable.AllowedPodNumber) reasons.Add("Too many pods");
        if (request.IsZero) return reasons;
        if (request.MilliCpu > 0 && request.MilliCpu > allocatable.MilliCpu - requested.MilliCpu) reasons.Add("Insufficient cpu");
        if (request.Memory > 0 && request.Memory > allocatable.Memory - requested.Memory) reasons.Add("Insufficient memory");
        if (request.EphemeralStorage > 0 && request.EphemeralStorage > allocatable.EphemeralStorage - requested.EphemeralStorage)
            reasons.Add("Insufficient ephemeral-storage");
        foreach (var (name, amount) in request.ScalarResources.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            if (amount > 0 && amount > allocatable.Scalar(name) - requested.Scalar(name)) reasons.Add("Insufficient " + name);
        return reasons;
    }

    public (long Score, Status Status) Score(CycleState state, V1Pod pod, NodeInfo nodeInfo)
    {
        ArgumentNullException.ThrowIfNull(nodeInfo);
        var request = Resource.PodRequests(pod, nonZero: true);
        var cpu = LeastAllocated(nodeInfo.NonZeroRequested.MilliCpu + request.MilliCpu, nodeInfo.Allocatable.MilliCpu);
        var memory = LeastAllocated(nodeInfo.NonZeroRequested.Memory + request.Memory, nodeInfo.Allocatable.Memory);
        return ((cpu + memory) / 2, Status.Success);
    }

    /// <summary>(capacity − requested) × 100 / capacity, or 0 when nothing is free.</summary>
    public static long LeastAllocated(long requested, long capacity) =>
        capacity == 0 || requested > capacity ? 0 : (capacity - requested) * IScorePlugin.MaxNodeScore / capacity;
}
