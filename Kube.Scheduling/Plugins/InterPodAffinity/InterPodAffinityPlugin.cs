using k8s.Models;
using Kube.Core.Selectors;
using Kube.Scheduling.Framework;

namespace Kube.Scheduling.Plugins.InterPodAffinity;

/// <summary>
/// Inter-pod affinity and anti-affinity by topology domain (upstream's InterPodAffinity, default weight 2).
/// <para>Filter: each required affinity term needs a matching pod in the node's domain (the first pod of a group that
/// matches its own terms may go anywhere when no pod matches yet); no pod matching a required anti-affinity term may be
/// in the node's domain; and no existing pod whose required anti-affinity matches the incoming pod may be in it.</para>
/// <para>Score: the weights of the preferred affinity terms times the matching pods in the node's domain, minus those of
/// the preferred anti-affinity terms, scaled to 0..100 between the lowest and highest node.</para>
/// <para>A term selects pods in its <c>namespaces</c>; with neither namespaces nor namespaceSelector, in the pod's own
/// namespace; an empty namespaceSelector means all namespaces (a non-empty one is not supported yet and selects
/// none beyond the listed namespaces). Existing pods' terms that select the incoming pod count toward the score too, as
/// upstream's: their preferred affinity (+weight) and anti-affinity (−weight), and their required affinity (+1).</para>
/// </summary>
public sealed class InterPodAffinityPlugin : IPreFilterExtensions, IFilterPlugin, IScorePlugin, IEnqueueExtensions
{
    public const string PluginName = "InterPodAffinity";
    public const string ErrReasonAffinityRulesNotMatch = "node(s) didn't match pod affinity rules";
    public const string ErrReasonAntiAffinityRulesNotMatch = "node(s) didn't match pod anti-affinity rules";
    public const string ErrReasonExistingAntiAffinityRulesNotMatch = "node(s) didn't satisfy existing pods anti-affinity rules";
    private const string StateKey = "PreFilter" + PluginName;

    public string Name => PluginName;

    /// <summary>Pods appearing, relabelled or going, and nodes added or relabelled, change which domains match.</summary>
    public IReadOnlyList<ClusterEventWithHint> EventsToRegister() =>
    [
        new(new ClusterEvent(EventResource.Pod, ActionType.All)),
        new(new ClusterEvent(EventResource.Node, ActionType.Add | ActionType.UpdateNodeLabel)),
    ];


    public Status PreFilter(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> nodes)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(nodes);
        var affinity = pod.Spec?.Affinity?.PodAffinity?.RequiredDuringSchedulingIgnoredDuringExecution ?? [];
        var prefAffinity = pod.Spec?.Affinity?.PodAffinity?.PreferredDuringSchedulingIgnoredDuringExecution ?? [];
        var prefAnti = pod.Spec?.Affinity?.PodAntiAffinity?.PreferredDuringSchedulingIgnoredDuringExecution ?? [];
        var s = new AffinityState(affinity.Select(t => new Dictionary<string, int>(StringComparer.Ordinal)).ToList(), new Dictionary<(string, string), int>(), new Dictionary<(string, string), int>(), new Dictionary<(string, string), long>());
        // A pod without terms of its own only needs the existing pods' terms: skip nodes and pods without any quickly.
        var hasTerms = affinity.Count > 0 || prefAffinity.Count > 0 || prefAnti.Count > 0
            || pod.Spec?.Affinity?.PodAntiAffinity?.RequiredDuringSchedulingIgnoredDuringExecution is { Count: > 0 };
        foreach (var n in nodes)
        {
            if (!hasTerms && n.PodsWithAffinity == 0) continue;
            var labels = n.Node.Metadata?.Labels;
            foreach (var existing in n.Pods)
            {
                if (existing.Metadata?.DeletionTimestamp is not null) continue;
                if (!hasTerms && !NodeInfo.HasPodAffinity(existing)) continue;
                CountRequired(s, pod, existing, labels, +1);
                if (labels is not null) ScoreExistingPodTerms(s, pod, existing, labels);
                foreach (var w in prefAffinity)
                    if (labels is not null && labels.TryGetValue(w.PodAffinityTerm.TopologyKey, out var v) && TermMatches(w.PodAffinityTerm, pod, existing))
                        s.PreferredScores[(w.PodAffinityTerm.TopologyKey, v)] = s.PreferredScores.GetValueOrDefault((w.PodAffinityTerm.TopologyKey, v)) + w.Weight;
                foreach (var w in prefAnti)
                    if (labels is not null && labels.TryGetValue(w.PodAffinityTerm.TopologyKey, out var v) && TermMatches(w.PodAffinityTerm, pod, existing))
                        s.PreferredScores[(w.PodAffinityTerm.TopologyKey, v)] = s.PreferredScores.GetValueOrDefault((w.PodAffinityTerm.TopologyKey, v)) - w.Weight;
            }
        }

        s.SelfMatchesAllAffinityTerms = affinity.Count > 0 && affinity.All(t => TermMatches(t, pod, pod));
        state.Write(StateKey, s);
        return Status.Success;
    }

    /// <summary>
    /// Upstream's scoring of an existing pod's own terms that select the incoming pod: its required affinity terms add
    /// the hard pod affinity weight (1), its preferred affinity terms add their weight and its preferred anti-affinity
    /// terms subtract theirs, in the existing pod's domain of each term's topology key.
    /// </summary>
    private static void ScoreExistingPodTerms(AffinityState s, V1Pod pod, V1Pod existing, IDictionary<string, string> labels)
    {
        var a = existing.Spec?.Affinity;
        if (a is null) return;
        void Add(V1PodAffinityTerm term, long weight)
        {
            if (labels.TryGetValue(term.TopologyKey, out var v) && TermMatches(term, existing, pod))
                s.PreferredScores[(term.TopologyKey, v)] = s.PreferredScores.GetValueOrDefault((term.TopologyKey, v)) + weight;
        }

        foreach (var t in a.PodAffinity?.RequiredDuringSchedulingIgnoredDuringExecution ?? []) Add(t, HardPodAffinityWeight);
        foreach (var w in a.PodAffinity?.PreferredDuringSchedulingIgnoredDuringExecution ?? []) Add(w.PodAffinityTerm, w.Weight);
        foreach (var w in a.PodAntiAffinity?.PreferredDuringSchedulingIgnoredDuringExecution ?? []) Add(w.PodAffinityTerm, -w.Weight);
    }

    /// <summary>Upstream's default hardPodAffinityWeight: what an existing pod's required affinity term adds to the score.</summary>
    public const long HardPodAffinityWeight = 1;

    /// <summary>Counts <paramref name="podToAdd"/>'s matches in its node's domains, as if it ran there.</summary>
    public Status AddPod(CycleState state, V1Pod podToSchedule, V1Pod podToAdd, NodeInfo nodeInfo) => Update(state, podToSchedule, podToAdd, nodeInfo, +1);

    /// <summary>Stops counting <paramref name="podToRemove"/>'s matches in its node's domains.</summary>
    public Status RemovePod(CycleState state, V1Pod podToSchedule, V1Pod podToRemove, NodeInfo nodeInfo) => Update(state, podToSchedule, podToRemove, nodeInfo, -1);

    private static Status Update(CycleState state, V1Pod pod, V1Pod other, NodeInfo nodeInfo, int delta)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(nodeInfo);
        ArgumentNullException.ThrowIfNull(other);
        if (!state.TryRead<AffinityState>(StateKey, out var s) || other.Metadata?.DeletionTimestamp is not null) return Status.Success;
        CountRequired(s, pod, other, nodeInfo.Node.Metadata?.Labels, delta);
        return Status.Success;
    }

    /// <summary>Adds <paramref name="delta"/> for <paramref name="existing"/> to the required (anti-)affinity counts of its node's domains.</summary>
    private static void CountRequired(AffinityState s, V1Pod pod, V1Pod existing, IDictionary<string, string>? labels, int delta)
    {
        if (labels is null) return;
        var affinity = pod.Spec?.Affinity?.PodAffinity?.RequiredDuringSchedulingIgnoredDuringExecution ?? [];
        var anti = pod.Spec?.Affinity?.PodAntiAffinity?.RequiredDuringSchedulingIgnoredDuringExecution ?? [];
        for (var i = 0; i < affinity.Count; i++)
            if (labels.TryGetValue(affinity[i].TopologyKey, out var v) && TermMatches(affinity[i], pod, existing))
                s.AffinityCounts[i][v] = Math.Max(0, s.AffinityCounts[i].GetValueOrDefault(v) + delta);
        foreach (var t in anti)
            if (labels.TryGetValue(t.TopologyKey, out var v) && TermMatches(t, pod, existing))
                s.AntiDomains[(t.TopologyKey, v)] = Math.Max(0, s.AntiDomains.GetValueOrDefault((t.TopologyKey, v)) + delta);
        foreach (var t in existing.Spec?.Affinity?.PodAntiAffinity?.RequiredDuringSchedulingIgnoredDuringExecution ?? [])
            if (labels.TryGetValue(t.TopologyKey, out var v) && TermMatches(t, existing, pod))
                s.ExistingAntiDomains[(t.TopologyKey, v)] = Math.Max(0, s.ExistingAntiDomains.GetValueOrDefault((t.TopologyKey, v)) + delta);
    }

    public Status Filter(CycleState state, V1Pod pod, NodeInfo nodeInfo)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(nodeInfo);
        if (state is null || !state.TryRead<AffinityState>(StateKey, out var s))
            return new Status(StatusCode.Error, ["InterPodAffinity: Filter ran without PreFilter state"]);

        var labels = nodeInfo.Node.Metadata?.Labels ?? new Dictionary<string, string>();
        foreach (var (key, value) in labels)
            if (s.ExistingAntiDomains.GetValueOrDefault((key, value)) > 0) return Status.Unschedulable(ErrReasonExistingAntiAffinityRulesNotMatch);
        foreach (var t in pod.Spec?.Affinity?.PodAntiAffinity?.RequiredDuringSchedulingIgnoredDuringExecution ?? [])
            if (labels.TryGetValue(t.TopologyKey, out var v) && s.AntiDomains.GetValueOrDefault((t.TopologyKey, v)) > 0) return Status.Unschedulable(ErrReasonAntiAffinityRulesNotMatch);
        var affinity = pod.Spec?.Affinity?.PodAffinity?.RequiredDuringSchedulingIgnoredDuringExecution ?? [];
        for (var i = 0; i < affinity.Count; i++)
        {
            if (!labels.TryGetValue(affinity[i].TopologyKey, out var v)) return Status.UnschedulableAndUnresolvable(ErrReasonAffinityRulesNotMatch);
            if (s.AffinityCounts[i].GetValueOrDefault(v) == 0 && !(s.SelfMatchesAllAffinityTerms && s.NoAffinityMatches)) return Status.Unschedulable(ErrReasonAffinityRulesNotMatch);
        }

        return Status.Success;
    }

    public (long Score, Status Status) Score(CycleState state, V1Pod pod, NodeInfo nodeInfo)
    {
        ArgumentNullException.ThrowIfNull(nodeInfo);
        if (state is null || !state.TryRead<AffinityState>(StateKey, out var s) || s.PreferredScores.Count == 0) return (0, Status.Success);
        long score = 0;
        foreach (var (key, value) in nodeInfo.Node.Metadata?.Labels ?? new Dictionary<string, string>())
            score += s.PreferredScores.GetValueOrDefault((key, value));
        return (score, Status.Success);
    }

    /// <summary>(score − min) × 100 / (max − min); all 0 when every node scores the same.</summary>
    public Status NormalizeScore(CycleState state, V1Pod pod, IList<NodeScore> scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.Count == 0) return Status.Success;
        var min = scores.Min(x => x.Score);
        var max = scores.Max(x => x.Score);
        for (var i = 0; i < scores.Count; i++)
            scores[i] = scores[i] with { Score = max == min ? 0 : (scores[i].Score - min) * IScorePlugin.MaxNodeScore / (max - min) };
        return Status.Success;
    }

    /// <summary>Whether <paramref name="target"/> is selected by <paramref name="term"/> of <paramref name="owner"/>.</summary>
    public static bool TermMatches(V1PodAffinityTerm term, V1Pod owner, V1Pod target)
    {
        ArgumentNullException.ThrowIfNull(term);
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(target);
        var ns = target.Metadata?.NamespaceProperty ?? "default";
        var allNamespaces = term.NamespaceSelector is { MatchLabels: null or { Count: 0 }, MatchExpressions: null or { Count: 0 } };
        var inNamespaces = term.Namespaces is { Count: > 0 } list
            ? list.Contains(ns)
            : term.NamespaceSelector is null && ns == (owner.Metadata?.NamespaceProperty ?? "default");
        if (!allNamespaces && !inNamespaces) return false;
        var selector = term.LabelSelector is null ? LabelSelector.Nothing : LabelSelector.FromLabelSelector(term.LabelSelector);
        return selector.Matches(target.Metadata?.Labels);
    }

    private sealed record AffinityState(
        List<Dictionary<string, int>> AffinityCounts,
        Dictionary<(string Key, string Value), int> AntiDomains,
        Dictionary<(string Key, string Value), int> ExistingAntiDomains,
        Dictionary<(string Key, string Value), long> PreferredScores) : IStateData
    {
        public bool SelfMatchesAllAffinityTerms { get; set; }

        /// <summary>No existing pod matches any required affinity term (the first pod of a group may then go anywhere).</summary>
        public bool NoAffinityMatches => AffinityCounts.All(c => c.Values.All(v => v == 0));

        IStateData IStateData.Clone() => new AffinityState(
            AffinityCounts.Select(c => new Dictionary<string, int>(c, StringComparer.Ordinal)).ToList(),
            new Dictionary<(string Key, string Value), int>(AntiDomains),
            new Dictionary<(string Key, string Value), int>(ExistingAntiDomains),
            PreferredScores) { SelfMatchesAllAffinityTerms = SelfMatchesAllAffinityTerms };
    }
}
