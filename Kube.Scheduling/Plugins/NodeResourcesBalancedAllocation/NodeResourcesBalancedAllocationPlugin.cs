using k8s.Models;
using Kube.Scheduling.Framework;

namespace Kube.Scheduling.Plugins.NodeResourcesBalancedAllocation;

/// <summary>
/// Score: favours nodes whose cpu and memory would be used in equal fractions after placing the pod. With f the
/// requested/allocatable fractions (capped at 1, pod included, upstream's non-zero request defaults), the score is
/// (1 − standard deviation of f) × 100. Upstream's default weight is 1.
/// </summary>
public sealed class NodeResourcesBalancedAllocationPlugin : IScorePlugin
{
    public const string PluginName = "NodeResourcesBalancedAllocation";

    public string Name => PluginName;

    public (long Score, Status Status) Score(CycleState state, V1Pod pod, NodeInfo nodeInfo)
    {
        ArgumentNullException.ThrowIfNull(nodeInfo);
        var request = Resource.CachedPodRequests(pod, nonZero: true);
        var cpu = Fraction(nodeInfo.NonZeroRequested.MilliCpu + request.MilliCpu, nodeInfo.Allocatable.MilliCpu);
        var memory = Fraction(nodeInfo.NonZeroRequested.Memory + request.Memory, nodeInfo.Allocatable.Memory);
        // Two fractions: the population standard deviation is half their difference (no list per node).
        return ((long)((1 - (Math.Abs(cpu - memory) / 2)) * IScorePlugin.MaxNodeScore), Status.Success);
    }

    /// <summary>(1 − population standard deviation of the fractions) × 100, truncated.</summary>
    public static long BalancedScore(IReadOnlyList<double> fractions)
    {
        ArgumentNullException.ThrowIfNull(fractions);
        if (fractions.Count == 0) return IScorePlugin.MaxNodeScore;
        var mean = fractions.Average();
        var variance = fractions.Sum(f => (f - mean) * (f - mean)) / fractions.Count;
        return (long)((1 - Math.Sqrt(variance)) * IScorePlugin.MaxNodeScore);
    }

    private static double Fraction(long requested, long capacity) =>
        capacity <= 0 ? 1 : Math.Min(1.0, (double)requested / capacity);
}
