using k8s.Models;
using Kube.Scheduling.Framework;

namespace Kube.Scheduling.Plugins.NodeResourcesFit;

/// <summary>
/// Filter: the pod's requests fit the node's allocatable minus what its pods request (cpu, memory, ephemeral storage,
/// the pod count and extended resources), with upstream's reasons ("Insufficient cpu", "Too many pods").
/// Score: by <see cref="NodeResourcesFitArgs.Type"/>: LeastAllocated (default), MostAllocated or
/// RequestedToCapacityRatio, over the configured resources (default cpu and memory, weight 1 each), as the weighted
/// average of the per-resource scores.
/// </summary>
public sealed class NodeResourcesFitPlugin : IPreFilterPlugin, IFilterPlugin, IScorePlugin, IEnqueueExtensions
{
    private readonly NodeResourcesFitArgs _args;

    /// <summary>A plugin with <paramref name="args"/> (default: LeastAllocated over cpu and memory).</summary>
    public NodeResourcesFitPlugin(NodeResourcesFitArgs? args = null)
    {
        _args = args ?? new NodeResourcesFitArgs();
        if (_args.Type == ScoringStrategyType.RequestedToCapacityRatio && _args.Shape.Count == 0)
            throw new ArgumentException("NodeResourcesFitArgs.Shape must have at least one point for RequestedToCapacityRatio.", nameof(args));
    }

    public const string PluginName = "NodeResourcesFit";
    private const string StateKey = "PreFilter" + PluginName;

    public string Name => PluginName;

    /// <summary>
    /// A pod deleted or scaled down frees room; a node added or with more allocatable helps when its allocatable could
    /// hold the pod at all (as upstream's hint); label and taint changes requeue too.
    /// </summary>
    public IReadOnlyList<ClusterEventWithHint> EventsToRegister() =>
    [
        new(new ClusterEvent(EventResource.Pod, ActionType.Delete | ActionType.UpdatePodScaleDown)),
        new(new ClusterEvent(EventResource.Node, ActionType.Add | ActionType.UpdateNodeAllocatable), (pod, _, n) =>
            n is V1Node node && InsufficientResources(Resource.PodRequests(pod), new NodeInfo(node)).Count == 0 ? QueueingHint.Queue : QueueingHint.QueueSkip),
        new(new ClusterEvent(EventResource.Node, ActionType.UpdateNodeLabel | ActionType.UpdateNodeTaint)),
    ];


    public Status PreFilter(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> nodes)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.Write(StateKey, Resource.CachedPodRequests(pod));
        return Status.Success;
    }

    public Status Filter(CycleState state, V1Pod pod, NodeInfo nodeInfo)
    {
        ArgumentNullException.ThrowIfNull(nodeInfo);
        var request = state?.Read(StateKey) as Resource ?? Resource.CachedPodRequests(pod);
        if (Fits(request, nodeInfo)) return Status.Success;
        return new Status(StatusCode.Unschedulable, InsufficientResources(request, nodeInfo));
    }

    /// <summary>Whether the request fits (no reason from <see cref="InsufficientResources"/>), without allocating.</summary>
    private static bool Fits(Resource request, NodeInfo nodeInfo)
    {
        var allocatable = nodeInfo.Allocatable;
        var requested = nodeInfo.Requested;
        if (nodeInfo.Pods.Count + 1 > allocatable.AllowedPodNumber) return false;
        if (request.IsZero) return true;
        if (request.MilliCpu > 0 && request.MilliCpu > allocatable.MilliCpu - requested.MilliCpu) return false;
        if (request.Memory > 0 && request.Memory > allocatable.Memory - requested.Memory) return false;
        if (request.EphemeralStorage > 0 && request.EphemeralStorage > allocatable.EphemeralStorage - requested.EphemeralStorage) return false;
        if (request.ScalarResources.Count == 0) return true;
        foreach (var (name, amount) in request.ScalarResources)
            if (amount > 0 && amount > allocatable.Scalar(name) - requested.Scalar(name)) return false;
        return true;
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
        var request = Resource.CachedPodRequests(pod, nonZero: true);
        long sum = 0, weights = 0;
        var resources = _args.Resources;
        for (var k = 0; k < resources.Count; k++)
        {
            var r = resources[k];
            var (requested, capacity) = r.Name switch
            {
                "cpu" => (nodeInfo.NonZeroRequested.MilliCpu + request.MilliCpu, nodeInfo.Allocatable.MilliCpu),
                "memory" => (nodeInfo.NonZeroRequested.Memory + request.Memory, nodeInfo.Allocatable.Memory),
                "ephemeral-storage" => (nodeInfo.Requested.EphemeralStorage + request.EphemeralStorage, nodeInfo.Allocatable.EphemeralStorage),
                _ => (nodeInfo.Requested.Scalar(r.Name) + request.Scalar(r.Name), nodeInfo.Allocatable.Scalar(r.Name)),
            };
            if (capacity == 0) continue; // upstream skips resources the node does not have
            var score = _args.Type switch
            {
                ScoringStrategyType.MostAllocated => MostAllocated(requested, capacity),
                ScoringStrategyType.RequestedToCapacityRatio => RequestedToCapacityRatio(requested, capacity, _args.Shape),
                _ => LeastAllocated(requested, capacity),
            };
            sum += score * r.Weight;
            weights += r.Weight;
        }

        return (weights == 0 ? 0 : sum / weights, Status.Success);
    }

    /// <summary>requested × 100 / capacity, or 0 when the request exceeds the capacity.</summary>
    public static long MostAllocated(long requested, long capacity) =>
        capacity == 0 || requested > capacity ? 0 : requested * IScorePlugin.MaxNodeScore / capacity;

    /// <summary>The shape (scores 0..10, scaled by 10) interpolated linearly at utilization requested × 100 / capacity.</summary>
    public static long RequestedToCapacityRatio(long requested, long capacity, IReadOnlyList<UtilizationShapePoint> shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (capacity == 0 || requested > capacity) return shape[^1].Score * 10L;
        var utilization = requested * 100 / capacity;
        if (utilization <= shape[0].Utilization) return shape[0].Score * 10L;
        for (var i = 1; i < shape.Count; i++)
        {
            if (utilization > shape[i].Utilization) continue;
            var (x0, y0, x1, y1) = (shape[i - 1].Utilization, shape[i - 1].Score * 10L, shape[i].Utilization, shape[i].Score * 10L);
            return y0 + ((y1 - y0) * (utilization - x0) / (x1 - x0));
        }

        return shape[^1].Score * 10L;
    }

    /// <summary>(capacity − requested) × 100 / capacity, or 0 when nothing is free.</summary>
    public static long LeastAllocated(long requested, long capacity) =>
        capacity == 0 || requested > capacity ? 0 : (capacity - requested) * IScorePlugin.MaxNodeScore / capacity;
}
