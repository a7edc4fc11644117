using k8s.Models;
using Kube.Core.Informers;
using Kube.Core.Selectors;
using Kube.Scheduling.Framework;

namespace Kube.Scheduling.Plugins.InterPodAffinity;

/// <summary>
/// Inter-pod affinity and anti-affinity by topology domain (upstream's InterPodAffinity, default weight 2).
/// <para>Filter: each required affinity term needs a matching pod in the node's domain (the first pod of a group that
/// matches its own terms may go anywhere when no pod matches yet); no pod matching a required anti-affinity term may be
/// in the node's domain; and no existing pod whose required anti-affinity matches the incoming pod may be in it.</para>
/// <para>Score: the weights of the preferred affinity terms times the matching pods in the node's domain, minus those of
/// the preferred anti-affinity terms, scaled to 0..100 between the lowest and highest node. Existing pods' terms that
/// select the incoming pod count too, as upstream's: their preferred affinity (+weight) and anti-affinity (−weight), and
/// their required affinity (+1).</para>
/// <para>A term selects pods in the union of its <c>namespaces</c> and the namespaces whose labels its
/// <c>namespaceSelector</c> matches (<c>{}</c>: all namespaces); with neither, the pod's own namespace. The incoming
/// pod's selectors are resolved against the Namespaces when its cycle starts; existing pods' selectors are matched
/// against the labels of the incoming pod's namespace.</para>
/// <para>Only the nodes whose pods have affinity terms (the snapshot's lists) are visited for a pod without terms.</para>
/// </summary>
public sealed class InterPodAffinityPlugin : IPreFilterExtensions, IFilterPlugin, IScorePlugin, IEnqueueExtensions
{
    public const string PluginName = "InterPodAffinity";
    public const string ErrReasonAffinityRulesNotMatch = "node(s) didn't match pod affinity rules";
    public const string ErrReasonAntiAffinityRulesNotMatch = "node(s) didn't match pod anti-affinity rules";
    public const string ErrReasonExistingAntiAffinityRulesNotMatch = "node(s) didn't satisfy existing pods anti-affinity rules";

    /// <summary>Upstream's default hardPodAffinityWeight: what an existing pod's required affinity term adds to the score.</summary>
    public const long HardPodAffinityWeight = 1;

    private const string StateKey = "PreFilter" + PluginName;

    private readonly Func<string, IDictionary<string, string>?> _namespaceLabels;
    private readonly Func<LabelSelector, IEnumerable<string>> _namespacesMatching;

    /// <summary>The plugin without Namespaces: a namespaceSelector other than <c>{}</c> selects no namespace.</summary>
    public InterPodAffinityPlugin()
    {
        _namespaceLabels = _ => null;
        _namespacesMatching = _ => [];
    }

    /// <summary>The plugin over the shared informer's cache of Namespaces.</summary>
    [Microsoft.Extensions.DependencyInjection.ActivatorUtilitiesConstructor]
    public InterPodAffinityPlugin(ISharedInformerFactory informers)
    {
        ArgumentNullException.ThrowIfNull(informers);
        var namespaces = informers.GetInformer<V1Namespace>();
        _namespaceLabels = name => namespaces.Cache.Get(null, name)?.Metadata?.Labels;
        _namespacesMatching = selector => namespaces.Cache.List().Where(n => selector.Matches(n.Metadata?.Labels)).Select(n => n.Metadata.Name);
    }

    /// <summary>The plugin over fixed Namespaces (simulations and tests).</summary>
    public InterPodAffinityPlugin(IEnumerable<V1Namespace> namespaces)
    {
        ArgumentNullException.ThrowIfNull(namespaces);
        var byName = namespaces.ToDictionary(n => n.Metadata.Name, StringComparer.Ordinal);
        _namespaceLabels = name => byName.GetValueOrDefault(name)?.Metadata?.Labels;
        _namespacesMatching = selector => byName.Values.Where(n => selector.Matches(n.Metadata?.Labels)).Select(n => n.Metadata.Name);
    }

    public string Name => PluginName;

    /// <summary>
    /// Pods appearing, relabelled or going, nodes added or relabelled, and namespaces added or relabelled (for terms with
    /// a namespaceSelector, or the pod's own namespace, which existing pods' selectors look at) change which domains match.
    /// </summary>
    public IReadOnlyList<ClusterEventWithHint> EventsToRegister() =>
    [
        new(new ClusterEvent(EventResource.Pod, ActionType.All)),
        new(new ClusterEvent(EventResource.Node, ActionType.Add | ActionType.UpdateNodeLabel)),
        new(new ClusterEvent(EventResource.Namespace, ActionType.Add | ActionType.UpdateNamespaceLabel), IsSchedulableAfterNamespaceChange),
    ];

    private static QueueingHint IsSchedulableAfterNamespaceChange(V1Pod pod, object? oldObj, object? newObj)
    {
        if (newObj is V1Namespace ns && ns.Metadata?.Name == (pod.Metadata?.NamespaceProperty ?? "default")) return QueueingHint.Queue;
        var terms = PodAffinityTerms.Of(pod);
        return terms.RequiredAffinity.Concat(terms.RequiredAntiAffinity).Concat(terms.PreferredAffinity).Concat(terms.PreferredAntiAffinity)
            .Any(t => t.HasNamespaceSelectorToResolve) ? QueueingHint.Queue : QueueingHint.QueueSkip;
    }

    public Status PreFilter(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> nodes)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(nodes);
        var nsLabels = _namespaceLabels(pod.Metadata?.NamespaceProperty ?? "default");
        var terms = PodAffinityTerms.Of(pod).WithSelectedNamespaces(_namespacesMatching);
        var s = new AffinityState(terms, nsLabels, terms.RequiredAffinity.Select(_ => new Dictionary<string, int>(StringComparer.Ordinal)).ToList(),
            new Dictionary<(string, string), int>(), new Dictionary<(string, string), int>(), new Dictionary<(string, string), long>());

        // Existing pods' required anti-affinity: only nodes with such pods.
        foreach (var n in NodeInfoSnapshot.WithPodsWithRequiredAntiAffinity(nodes))
        {
            if (n.Node.Metadata?.Labels is not { } labels) continue;
            foreach (var existing in n.PodsWithRequiredAntiAffinity)
                if (existing.Metadata?.DeletionTimestamp is null) CountExistingAntiAffinity(s, pod, existing, labels, +1);
        }

        // The incoming pod's required terms look at every pod.
        if (terms.HasRequired)
        {
            foreach (var n in nodes)
            {
                if (n.Node.Metadata?.Labels is not { } labels) continue;
                foreach (var existing in n.Pods)
                    if (existing.Metadata?.DeletionTimestamp is null) CountIncomingTerms(s, existing, labels, +1);
            }
        }

        // Scores: the incoming pod's preferred terms look at every pod; existing pods' terms only at pods with terms.
        foreach (var n in terms.HasPreferred ? nodes : NodeInfoSnapshot.WithPodsWithAffinity(nodes))
        {
            if (n.Node.Metadata?.Labels is not { } labels) continue;
            foreach (var existing in terms.HasPreferred ? n.Pods : n.PodsWithAffinity)
            {
                if (existing.Metadata?.DeletionTimestamp is not null) continue;
                if (NodeInfo.HasPodAffinity(existing)) ScoreExistingPodTerms(s, pod, existing, labels);
                foreach (var t in terms.PreferredAffinity) AddScore(s, t, existing, null, labels, t.Weight);
                foreach (var t in terms.PreferredAntiAffinity) AddScore(s, t, existing, null, labels, -t.Weight);
            }
        }

        s.SelfMatchesAllAffinityTerms = terms.RequiredAffinity.Length > 0 && terms.RequiredAffinity.All(t => t.Matches(pod, nsLabels));
        state.Write(StateKey, s);
        return Status.Success;
    }

    /// <summary>Adds <paramref name="weight"/> to the domain of <paramref name="labels"/> for the term's topology key when the term selects <paramref name="target"/>.</summary>
    private static void AddScore(AffinityState s, AffinityTerm term, V1Pod target, IDictionary<string, string>? targetNamespaceLabels, IDictionary<string, string> labels, long weight)
    {
        if (labels.TryGetValue(term.TopologyKey, out var v) && term.Matches(target, targetNamespaceLabels))
            s.PreferredScores[(term.TopologyKey, v)] = s.PreferredScores.GetValueOrDefault((term.TopologyKey, v)) + weight;
    }

    /// <summary>
    /// Upstream's scoring of an existing pod's own terms that select the incoming pod: its required affinity terms add
    /// the hard pod affinity weight (1), its preferred affinity terms add their weight and its preferred anti-affinity
    /// terms subtract theirs, in the existing pod's domain of each term's topology key.
    /// </summary>
    private static void ScoreExistingPodTerms(AffinityState s, V1Pod pod, V1Pod existing, IDictionary<string, string> labels)
    {
        var terms = PodAffinityTerms.Of(existing);
        foreach (var t in terms.RequiredAffinity) AddScore(s, t, pod, s.NamespaceLabels, labels, HardPodAffinityWeight);
        foreach (var t in terms.PreferredAffinity) AddScore(s, t, pod, s.NamespaceLabels, labels, t.Weight);
        foreach (var t in terms.PreferredAntiAffinity) AddScore(s, t, pod, s.NamespaceLabels, labels, -t.Weight);
    }

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
        if (nodeInfo.Node.Metadata?.Labels is not { } labels) return Status.Success;
        CountIncomingTerms(s, other, labels, delta);
        CountExistingAntiAffinity(s, pod, other, labels, delta);
        return Status.Success;
    }

    /// <summary>Adds <paramref name="delta"/> to the domains where the incoming pod's required terms select <paramref name="existing"/>.</summary>
    private static void CountIncomingTerms(AffinityState s, V1Pod existing, IDictionary<string, string> labels, int delta)
    {
        if (!s.Terms.HasRequired) return;
        var affinity = s.Terms.RequiredAffinity;
        for (var i = 0; i < affinity.Length; i++)
            if (labels.TryGetValue(affinity[i].TopologyKey, out var v) && affinity[i].Matches(existing, null))
                s.AffinityCounts[i][v] = Math.Max(0, s.AffinityCounts[i].GetValueOrDefault(v) + delta);
        foreach (var t in s.Terms.RequiredAntiAffinity)
            if (labels.TryGetValue(t.TopologyKey, out var v) && t.Matches(existing, null))
                s.AntiDomains[(t.TopologyKey, v)] = Math.Max(0, s.AntiDomains.GetValueOrDefault((t.TopologyKey, v)) + delta);
    }

    /// <summary>Adds <paramref name="delta"/> to the domains where <paramref name="existing"/>'s required anti-affinity selects the incoming pod.</summary>
    private static void CountExistingAntiAffinity(AffinityState s, V1Pod pod, V1Pod existing, IDictionary<string, string> labels, int delta)
    {
        // Most pods have no such terms: no lookup of their parsed terms then (preemption's dry runs call this per pod and node).
        if (existing.Spec?.Affinity?.PodAntiAffinity?.RequiredDuringSchedulingIgnoredDuringExecution is not { Count: > 0 }) return;
        foreach (var t in PodAffinityTerms.Of(existing).RequiredAntiAffinity)
            if (labels.TryGetValue(t.TopologyKey, out var v) && t.Matches(pod, s.NamespaceLabels))
                s.ExistingAntiDomains[(t.TopologyKey, v)] = Math.Max(0, s.ExistingAntiDomains.GetValueOrDefault((t.TopologyKey, v)) + delta);
    }

    public Status Filter(CycleState state, V1Pod pod, NodeInfo nodeInfo)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(nodeInfo);
        if (state?.Read(StateKey) is not AffinityState s)
            return new Status(StatusCode.Error, ["InterPodAffinity: Filter ran without PreFilter state"]);

        var labels = nodeInfo.Node.Metadata?.Labels;
        if (s.ExistingAntiDomains.Count > 0 && labels is not null)
            foreach (var (key, value) in labels)
                if (s.ExistingAntiDomains.GetValueOrDefault((key, value)) > 0) return Status.Unschedulable(ErrReasonExistingAntiAffinityRulesNotMatch);
        foreach (var t in s.Terms.RequiredAntiAffinity)
            if (labels is not null && labels.TryGetValue(t.TopologyKey, out var v) && s.AntiDomains.GetValueOrDefault((t.TopologyKey, v)) > 0) return Status.Unschedulable(ErrReasonAntiAffinityRulesNotMatch);
        var affinity = s.Terms.RequiredAffinity;
        for (var i = 0; i < affinity.Length; i++)
        {
            if (labels is null || !labels.TryGetValue(affinity[i].TopologyKey, out var v)) return Status.UnschedulableAndUnresolvable(ErrReasonAffinityRulesNotMatch);
            if (s.AffinityCounts[i].GetValueOrDefault(v) == 0 && !(s.SelfMatchesAllAffinityTerms && s.NoAffinityMatches)) return Status.Unschedulable(ErrReasonAffinityRulesNotMatch);
        }

        return Status.Success;
    }

    public (long Score, Status Status) Score(CycleState state, V1Pod pod, NodeInfo nodeInfo)
    {
        ArgumentNullException.ThrowIfNull(nodeInfo);
        if (state?.Read(StateKey) is not AffinityState s || s.PreferredScores.Count == 0) return (0, Status.Success);
        long score = 0;
        if (nodeInfo.Node.Metadata?.Labels is not { } labels) return (0, Status.Success);
        foreach (var (key, value) in labels)
            score += s.PreferredScores.GetValueOrDefault((key, value));
        return (score, Status.Success);
    }

    /// <summary>(score − min) × 100 / (max − min); all 0 when every node scores the same.</summary>
    public Status NormalizeScore(CycleState state, V1Pod pod, IList<NodeScore> scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.Count == 0) return Status.Success;
        long min = long.MaxValue, max = long.MinValue;
        for (var i = 0; i < scores.Count; i++)
        {
            min = Math.Min(min, scores[i].Score);
            max = Math.Max(max, scores[i].Score);
        }

        if (min == 0 && max == 0) return Status.Success;
        for (var i = 0; i < scores.Count; i++)
            scores[i] = scores[i] with { Score = max == min ? 0 : (scores[i].Score - min) * IScorePlugin.MaxNodeScore / (max - min) };
        return Status.Success;
    }

    /// <summary>
    /// Whether <paramref name="target"/> is selected by <paramref name="term"/> of <paramref name="owner"/>, the target's
    /// namespace having <paramref name="targetNamespaceLabels"/> (for a namespaceSelector).
    /// </summary>
    public static bool TermMatches(V1PodAffinityTerm term, V1Pod owner, V1Pod target, IDictionary<string, string>? targetNamespaceLabels = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        return AffinityTerm.From(term, owner).Matches(target, targetNamespaceLabels);
    }

    private sealed record AffinityState(
        PodAffinityTerms Terms,
        IDictionary<string, string>? NamespaceLabels,
        List<Dictionary<string, int>> AffinityCounts,
        Dictionary<(string Key, string Value), int> AntiDomains,
        Dictionary<(string Key, string Value), int> ExistingAntiDomains,
        Dictionary<(string Key, string Value), long> PreferredScores) : IStateData
    {
        public bool SelfMatchesAllAffinityTerms { get; set; }

        /// <summary>No existing pod matches any required affinity term (the first pod of a group may then go anywhere).</summary>
        public bool NoAffinityMatches => AffinityCounts.All(c => c.Values.All(v => v == 0));

        IStateData IStateData.Clone() => new AffinityState(
            Terms,
            NamespaceLabels,
            AffinityCounts.Select(c => new Dictionary<string, int>(c, StringComparer.Ordinal)).ToList(),
            new Dictionary<(string Key, string Value), int>(AntiDomains),
            new Dictionary<(string Key, string Value), int>(ExistingAntiDomains),
            PreferredScores) { SelfMatchesAllAffinityTerms = SelfMatchesAllAffinityTerms };
    }
}
