using k8s.Models;
using Kube.Core.Selectors;
using Kube.Scheduling.Framework;
using Kube.Scheduling.Plugins.NodeAffinity;
using Kube.Scheduling.Plugins.TaintToleration;

namespace Kube.Scheduling.Plugins.PodTopologySpread;

/// <summary>
/// Spreads matching pods across topology domains (upstream's PodTopologySpread, default weight 2).
/// <para>Filter (DoNotSchedule constraints): placing the pod in the node's domain must keep
/// <c>matching pods in the domain + 1 − minimum over domains ≤ maxSkew</c>; the minimum is 0 while fewer than
/// <c>minDomains</c> domains exist. Nodes without the topology key are rejected as unresolvable.</para>
/// <para>Score (ScheduleAnyway constraints, or <see cref="PodTopologySpreadArgs.DefaultConstraints"/> for a pod with no
/// constraints that a ReplicaSet, StatefulSet or ReplicationController owns; counted in PreScore): fewer matching pods in the node's domains score higher; each constraint counts
/// <c>matching × log(domains + 2) + maxSkew − 1</c>, normalized so the emptiest node gets 100.</para>
/// <para>Eligible nodes follow <c>nodeAffinityPolicy</c> (default Honor: the pod's nodeSelector/required affinity) and
/// <c>nodeTaintsPolicy</c> (default Ignore). Default constraints select pods with the same labels as the pod (upstream
/// merges the selectors of the pod's Services and controllers); a pod without labels or controller gets none.
/// <c>matchLabelKeys</c> add the pod's values of those keys to the selector.</para>
/// </summary>
public sealed class PodTopologySpreadPlugin : IPreFilterExtensions, IFilterPlugin, IPreScorePlugin, IScorePlugin, IEnqueueExtensions
{
    public const string PluginName = "PodTopologySpread";
    public const string ErrReasonConstraintsNotMatch = "node(s) didn't match pod topology spread constraints";
    public const string ErrReasonNodeLabelNotMatch = ErrReasonConstraintsNotMatch + " (missing required label)";
    private const string FilterKey = "PreFilter" + PluginName;
    private const string ScoreKey = "PreScore" + PluginName;
    private const string AllNodesKey = "Nodes" + PluginName;
    private const long Ignored = -1;

    private readonly PodTopologySpreadArgs _args;

    public PodTopologySpreadPlugin(PodTopologySpreadArgs? args = null) => _args = args ?? new PodTopologySpreadArgs();

    public string Name => PluginName;

    /// <summary>Pods appearing, changing or going, and nodes added, removed, relabelled or retainted change the domains' counts.</summary>
    public IReadOnlyList<ClusterEventWithHint> EventsToRegister() =>
    [
        new(new ClusterEvent(EventResource.Pod, ActionType.All)),
        new(new ClusterEvent(EventResource.Node, ActionType.Add | ActionType.Delete | ActionType.UpdateNodeLabel | ActionType.UpdateNodeTaint)),
    ];


    public Status PreFilter(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> nodes)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(nodes);
        state.Write(AllNodesKey, nodes);
        var declared = pod.Spec?.TopologySpreadConstraints ?? [];
        var hard = Build(pod, declared.Where(c => c.WhenUnsatisfiable != "ScheduleAnyway"), useDefaults: false);
        if (hard.Count == 0) return Status.Skip;
        state.Write(FilterKey, Count(pod, hard, nodes));
        return Status.Success;
    }

    /// <summary>
    /// Counts the matching pods per domain for the ScheduleAnyway constraints, or the default constraints for a pod that
    /// declares none and is owned by a ReplicaSet, StatefulSet or ReplicationController; Skip when there are none.
    /// </summary>
    public Status PreScore(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> feasibleNodes)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(pod);
        var declared = pod.Spec?.TopologySpreadConstraints ?? [];
        var soft = declared.Count == 0
            ? (HasSpreadingOwner(pod) ? Build(pod, _args.DefaultConstraints, useDefaults: true) : [])
            : Build(pod, declared.Where(c => c.WhenUnsatisfiable == "ScheduleAnyway"), useDefaults: false);
        if (soft.Count == 0) return Status.Skip;
        var all = state.TryRead<IReadOnlyList<NodeInfo>>(AllNodesKey, out var nodes) ? nodes : feasibleNodes;
        state.Write(ScoreKey, Count(pod, soft, all));
        return Status.Success;
    }

    /// <summary>Upstream builds default selectors from the pod's Services and controllers; this uses the controller kinds only.</summary>
    private static bool HasSpreadingOwner(V1Pod pod) =>
        pod.Metadata?.OwnerReferences?.Any(o => o.Controller == true && o.Kind is "ReplicaSet" or "StatefulSet" or "ReplicationController") == true;

    /// <summary>Counts <paramref name="podToAdd"/> in its node's domains, as if it ran there.</summary>
    public Status AddPod(CycleState state, V1Pod podToSchedule, V1Pod podToAdd, NodeInfo nodeInfo) => Update(state, podToSchedule, podToAdd, nodeInfo, +1);

    /// <summary>Stops counting <paramref name="podToRemove"/> in its node's domains.</summary>
    public Status RemovePod(CycleState state, V1Pod podToSchedule, V1Pod podToRemove, NodeInfo nodeInfo) => Update(state, podToSchedule, podToRemove, nodeInfo, -1);

    private static Status Update(CycleState state, V1Pod pod, V1Pod other, NodeInfo nodeInfo, int delta)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(other);
        ArgumentNullException.ThrowIfNull(nodeInfo);
        if (!state.TryRead<Counts>(FilterKey, out var counts)) return Status.Success;
        var labels = nodeInfo.Node.Metadata?.Labels;
        if (labels is null || counts.Constraints.Any(c => !labels.ContainsKey(c.TopologyKey))) return Status.Success;
        if (other.Metadata?.DeletionTimestamp is not null || (other.Metadata?.NamespaceProperty ?? "default") != (pod.Metadata?.NamespaceProperty ?? "default")) return Status.Success;
        for (var i = 0; i < counts.Constraints.Count; i++)
        {
            var c = counts.Constraints[i];
            if (!Eligible(c, pod, nodeInfo.Node) || !c.Selector.Matches(other.Metadata?.Labels)) continue;
            var domain = labels[c.TopologyKey];
            counts.PerDomain[i][domain] = Math.Max(0, counts.PerDomain[i].GetValueOrDefault(domain) + delta);
        }

        counts.Invalidate();
        return Status.Success;
    }

    private static bool Eligible(Constraint c, V1Pod pod, V1Node node)
    {
        if (c.HonorNodeAffinity && !NodeAffinityPlugin.Matches(pod, node)) return false;
        return !c.HonorNodeTaints || !(node.Spec?.Taints ?? []).Any(t => t.Effect is "NoSchedule" or "NoExecute" && !Tolerations.Tolerates(pod.Spec?.Tolerations, t));
    }

    public Status Filter(CycleState state, V1Pod pod, NodeInfo nodeInfo)
    {
        ArgumentNullException.ThrowIfNull(nodeInfo);
        ArgumentNullException.ThrowIfNull(pod);
        if (state?.Read(FilterKey) is not Counts counts) return Status.Success;
        var labels = nodeInfo.Node.Metadata?.Labels;
        for (var i = 0; i < counts.Constraints.Count; i++)
        {
            var c = counts.Constraints[i];
            if (labels is null || !labels.TryGetValue(c.TopologyKey, out var domain)) return Status.UnschedulableAndUnresolvable(ErrReasonNodeLabelNotMatch);
            var (minMatch, selfMatch) = counts.Critical(i, pod);
            var matchNum = counts.PerDomain[i].GetValueOrDefault(domain);
            if (matchNum + selfMatch - minMatch > c.MaxSkew) return Status.Unschedulable(ErrReasonConstraintsNotMatch);
        }

        return Status.Success;
    }

    public (long Score, Status Status) Score(CycleState state, V1Pod pod, NodeInfo nodeInfo)
    {
        ArgumentNullException.ThrowIfNull(nodeInfo);
        if (state?.Read(ScoreKey) is not Counts counts) return (0, Status.Success);
        var labels = nodeInfo.Node.Metadata?.Labels;
        double score = 0;
        for (var i = 0; i < counts.Constraints.Count; i++)
        {
            var c = counts.Constraints[i];
            if (labels is null || !labels.TryGetValue(c.TopologyKey, out var domain)) return (Ignored, Status.Success);
            var weight = Math.Log(counts.PerDomain[i].Count + 2);
            score += (counts.PerDomain[i].GetValueOrDefault(domain) * weight) + (c.MaxSkew - 1);
        }

        return ((long)Math.Round(score), Status.Success);
    }

    /// <summary>Reverses the raw scores: 100 × (max + min − score) / max; nodes without the topology keys get 0.</summary>
    public Status NormalizeScore(CycleState state, V1Pod pod, IList<NodeScore> scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (state is null || !state.TryRead<Counts>(ScoreKey, out _)) return Status.Success;
        long min = long.MaxValue, max = long.MinValue;
        foreach (var s in scores)
        {
            if (s.Score == Ignored) continue;
            min = Math.Min(min, s.Score);
            max = Math.Max(max, s.Score);
        }

        for (var i = 0; i < scores.Count; i++)
        {
            var s = scores[i];
            long v = s.Score == Ignored ? 0 : max == 0 ? IScorePlugin.MaxNodeScore : IScorePlugin.MaxNodeScore * (max + min - s.Score) / max;
            scores[i] = s with { Score = v };
        }

        return Status.Success;
    }

    private static List<Constraint> Build(V1Pod pod, IEnumerable<V1TopologySpreadConstraint> source, bool useDefaults)
    {
        var result = new List<Constraint>();
        foreach (var c in source)
        {
            LabelSelector selector;
            if (useDefaults)
            {
                if (pod.Metadata?.Labels is not { Count: > 0 } podLabels) continue;
                selector = LabelSelector.FromSet(podLabels);
            }
            else
            {
                selector = c.LabelSelector is null ? LabelSelector.Nothing : LabelSelector.FromLabelSelector(WithMatchLabelKeys(c, pod));
            }

            result.Add(new Constraint(c.TopologyKey, c.MaxSkew, c.MinDomains ?? 1, selector,
                c.NodeAffinityPolicy != "Ignore", c.NodeTaintsPolicy == "Honor"));
        }

        return result;
    }

    /// <summary>
    /// Upstream's matchLabelKeys: for each listed key the pod has, the selector also requires the pod's value of it
    /// (so, e.g., pods of one Deployment revision spread among themselves).
    /// </summary>
    private static V1LabelSelector WithMatchLabelKeys(V1TopologySpreadConstraint c, V1Pod pod)
    {
        if (c.MatchLabelKeys is not { Count: > 0 } keys || pod.Metadata?.Labels is not { Count: > 0 } labels) return c.LabelSelector;
        var extra = keys.Where(labels.ContainsKey).Select(k => new V1LabelSelectorRequirement { Key = k, OperatorProperty = "In", Values = [labels[k]] }).ToList();
        if (extra.Count == 0) return c.LabelSelector;
        return new V1LabelSelector { MatchLabels = c.LabelSelector.MatchLabels, MatchExpressions = [.. c.LabelSelector.MatchExpressions ?? [], .. extra] };
    }

    private static Counts Count(V1Pod pod, List<Constraint> constraints, IReadOnlyList<NodeInfo> nodes)
    {
        var perDomain = constraints.Select(_ => new Dictionary<string, int>(StringComparer.Ordinal)).ToList();
        var ns = pod.Metadata?.NamespaceProperty ?? "default";
        // The nodes remember their counts per namespace and selector until they change (see NodeInfo.CountMatchingPods),
        // so a cycle recounts the pods only of the nodes changed since the last one.
        var keys = constraints.Select(c => ns + "\n" + c.Selector).ToArray();
        foreach (var n in nodes)
        {
            var labels = n.Node.Metadata?.Labels;
            if (labels is null || !HasAllKeys(labels, constraints)) continue;
            for (var i = 0; i < constraints.Count; i++)
            {
                var c = constraints[i];
                if (!Eligible(c, pod, n.Node)) continue;
                var matching = n.CountMatchingPods(keys[i], ns, c.Selector);
                var domain = labels[c.TopologyKey];
                perDomain[i][domain] = perDomain[i].GetValueOrDefault(domain) + matching;
            }
        }

        return new Counts(constraints, perDomain);
    }

    private static bool HasAllKeys(IDictionary<string, string> labels, List<Constraint> constraints)
    {
        foreach (var c in constraints)
            if (!labels.ContainsKey(c.TopologyKey)) return false;
        return true;
    }

    private sealed record Constraint(string TopologyKey, int MaxSkew, int MinDomains, LabelSelector Selector, bool HonorNodeAffinity, bool HonorNodeTaints);

    private sealed record Counts(List<Constraint> Constraints, List<Dictionary<string, int>> PerDomain) : IStateData
    {
        private (int Min, int Self)[]? _critical;

        /// <summary>
        /// Per constraint, the smallest domain count (0 with fewer domains than minDomains) and whether the incoming pod
        /// matches its own selector: computed once per cycle (upstream keeps them as critical paths), not per node.
        /// </summary>
        public (int Min, int Self) Critical(int i, V1Pod pod)
        {
            var critical = Volatile.Read(ref _critical);
            if (critical is null)
            {
                critical = new (int, int)[Constraints.Count];
                for (var k = 0; k < critical.Length; k++)
                {
                    var d = PerDomain[k];
                    var min = 0;
                    if (d.Count > 0 && d.Count >= Constraints[k].MinDomains)
                    {
                        min = int.MaxValue;
                        foreach (var v in d.Values) min = Math.Min(min, v);
                    }

                    critical[k] = (min, Constraints[k].Selector.Matches(pod.Metadata?.Labels) ? 1 : 0);
                }

                Volatile.Write(ref _critical, critical);
            }

            return critical[i];
        }

        /// <summary>Forgets <see cref="Critical"/> after the counts changed (preemption's AddPod/RemovePod).</summary>
        public void Invalidate() => Volatile.Write(ref _critical, null);

        IStateData IStateData.Clone() => new Counts(Constraints, PerDomain.Select(d => new Dictionary<string, int>(d, StringComparer.Ordinal)).ToList());
    }
}
