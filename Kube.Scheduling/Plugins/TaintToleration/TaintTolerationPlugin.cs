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
        foreach (var taint in nodeInfo.Node.Spec?.Taints ?? [])
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
        var preferring = pod.Spec?.Tolerations?.Where(t => string.IsNullOrEmpty(t.Effect) || t.Effect == "PreferNoSchedule").ToList();
        var count = (nodeInfo.Node.Spec?.Taints ?? []).Count(t => t.Effect == "PreferNoSchedule" && !Tolerations.Tolerates(preferring, t));
        return (count, Status.Success);
    }

    /// <summary>Reverses the counts: the node with the most untolerated taints gets 0, nodes with none get 100.</summary>
    public Status NormalizeScore(CycleState state, V1Pod pod, IList<NodeScore> scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        var max = scores.Count == 0 ? 0 : scores.Max(s => s.Score);
        for (var i = 0; i < scores.Count; i++)
        {
            var s = scores[i];
            scores[i] = s with { Score = max == 0 ? IScorePlugin.MaxNodeScore : IScorePlugin.MaxNodeScore - (s.Score * IScorePlugin.MaxNodeScore / max) };
        }

        return Status.Success;
    }
}
