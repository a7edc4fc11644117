using k8s.Models;
using Kube.Scheduling.Framework;

namespace Kube.Scheduling.Plugins.TaintToleration;

/// <summary>
/// Filter: a node's NoSchedule and NoExecute taints must be tolerated. Score: fewer untolerated PreferNoSchedule taints
/// score higher (normalized and reversed to 0..100; upstream's default weight is 3).
/// </summary>
public sealed class TaintTolerationPlugin : IFilterPlugin, IScorePlugin, IEnqueueExtensions
{
    public const string PluginName = "TaintToleration";

    public string Name => PluginName;

    /// <summary>A node added or whose taints changed helps when the pod tolerates all its NoSchedule/NoExecute taints.</summary>
    public IReadOnlyList<ClusterEventWithHint> EventsToRegister() =>
    [
        new(new ClusterEvent(EventResource.Node, ActionType.Add | ActionType.UpdateNodeTaint), (pod, _, n) =>
            n is V1Node node && (node.Spec?.Taints ?? []).All(t => t.Effect is not ("NoSchedule" or "NoExecute") || Tolerations.Tolerates(pod.Spec?.Tolerations, t))
                ? QueueingHint.Queue : QueueingHint.QueueSkip),
    ];


    public Status Filter(CycleState state, V1Pod pod, NodeInfo nodeInfo)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(nodeInfo);
        if (nodeInfo.Node.Spec?.Taints is not { Count: > 0 } taints) return Status.Success;
        foreach (var taint in taints)
        {
            if (taint.Effect is not ("NoSchedule" or "NoExecute")) continue;
            if (!Tolerations.Tolerates(pod.Spec?.Tolerations, taint))
                return Status.UnschedulableAndUnresolvable($"node(s) had untolerated taint {{{taint.Key}: {taint.Value}}}");
        }

        return Status.Success;
    }

    public (long Score, Status Status) Score(CycleState state, V1Pod pod, NodeInfo nodeInfo)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(nodeInfo);
        if (nodeInfo.Node.Spec?.Taints is not { Count: > 0 } taints) return (0, Status.Success);
        List<V1Toleration>? preferring = null;
        var count = 0;
        foreach (var t in taints)
        {
            if (t.Effect != "PreferNoSchedule") continue;
            preferring ??= pod.Spec?.Tolerations?.Where(t => string.IsNullOrEmpty(t.Effect) || t.Effect == "PreferNoSchedule").ToList() ?? [];
            if (!Tolerations.Tolerates(preferring, t)) count++;
        }

        return (count, Status.Success);
    }

    /// <summary>Reverses the counts: the node with the most untolerated taints gets 0, nodes with none get 100.</summary>
    public Status NormalizeScore(CycleState state, V1Pod pod, IList<NodeScore> scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        long max = 0;
        for (var i = 0; i < scores.Count; i++) max = Math.Max(max, scores[i].Score);
        for (var i = 0; i < scores.Count; i++)
        {
            var s = scores[i];
            scores[i] = s with { Score = max == 0 ? IScorePlugin.MaxNodeScore : IScorePlugin.MaxNodeScore - (s.Score * IScorePlugin.MaxNodeScore / max) };
        }

        return Status.Success;
    }
}
