using k8s.Models;
using Kube.Scheduling.Framework;

namespace Kube.Scheduling.Plugins.NodeAffinity;

/// <summary>
/// Filter: the node matches <c>spec.nodeSelector</c> and, when set, one of the
/// <c>requiredDuringSchedulingIgnoredDuringExecution</c> node selector terms (In, NotIn, Exists, DoesNotExist, Gt, Lt;
/// matchFields on metadata.name). Score: the sum of the weights of the matching preferred terms, normalized so the best
/// node gets 100 (upstream's default weight 2).
/// </summary>
public sealed class NodeAffinityPlugin : IEnqueueExtensions, IFilterPlugin, IScorePlugin
{
    public const string PluginName = "NodeAffinity";

    /// <summary>Upstream's reason.</summary>
    public const string ErrReason = "node(s) didn't match Pod's node affinity/selector";

    public string Name => PluginName;

    /// <summary>A node added or relabelled helps when it now matches the pod's nodeSelector and required affinity.</summary>
    public IReadOnlyList<ClusterEventWithHint> EventsToRegister() =>
    [
        new(new ClusterEvent(EventResource.Node, ActionType.Add | ActionType.UpdateNodeLabel), (pod, _, n) =>
            n is V1Node node && Matches(pod, node) ? QueueingHint.Queue : QueueingHint.QueueSkip),
    ];


    public Status Filter(CycleState state, V1Pod pod, NodeInfo nodeInfo)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(nodeInfo);
        return Matches(pod, nodeInfo.Node) ? Status.Success : Status.UnschedulableAndUnresolvable(ErrReason);
    }

    /// <summary>Whether the pod's nodeSelector and required node affinity admit the node.</summary>
    public static bool Matches(V1Pod pod, V1Node node)
    {
        ArgumentNullException.ThrowIfNull(pod);
        if (!NodeSelectorMatcher.MatchesNodeSelector(pod.Spec?.NodeSelector, node)) return false;
        var required = pod.Spec?.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution;
        return required is null || NodeSelectorMatcher.MatchesAnyTerm(required.NodeSelectorTerms, node);
    }

    public (long Score, Status Status) Score(CycleState state, V1Pod pod, NodeInfo nodeInfo)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(nodeInfo);
        if (pod.Spec?.Affinity?.NodeAffinity?.PreferredDuringSchedulingIgnoredDuringExecution is not { Count: > 0 } preferred) return (0, Status.Success);
        long sum = 0;
        foreach (var term in preferred)
            if (term.Weight != 0 && term.Preference is not null && NodeSelectorMatcher.MatchesTerm(term.Preference, nodeInfo.Node))
                sum += term.Weight;
        return (sum, Status.Success);
    }

    public Status NormalizeScore(CycleState state, V1Pod pod, IList<NodeScore> scores) => ScoreNormalizer.Default(scores, reverse: false);
}
