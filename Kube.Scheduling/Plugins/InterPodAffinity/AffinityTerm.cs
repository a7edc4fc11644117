using k8s.Models;
using Kube.Core.Selectors;

namespace Kube.Scheduling.Plugins.InterPodAffinity;

/// <summary>
/// A pod (anti-)affinity term with its selectors parsed (upstream's framework.AffinityTerm): the pods it selects are those
/// matching <see cref="Selector"/> in one of <see cref="Namespaces"/> or in a namespace whose labels match
/// <see cref="NamespaceSelector"/>.
/// </summary>
internal sealed class AffinityTerm
{
    public AffinityTerm(string topologyKey, LabelSelector selector, IReadOnlySet<string> namespaces, LabelSelector namespaceSelector, long weight)
    {
        TopologyKey = topologyKey;
        Selector = selector;
        Namespaces = namespaces;
        NamespaceSelector = namespaceSelector;
        Weight = weight;
    }

    public string TopologyKey { get; }

    public LabelSelector Selector { get; }

    /// <summary>The namespaces named by the term (or the owner's namespace when it names none and has no namespaceSelector).</summary>
    public IReadOnlySet<string> Namespaces { get; }

    /// <summary>Nothing when the term has no namespaceSelector; Everything for <c>{}</c>.</summary>
    public LabelSelector NamespaceSelector { get; }

    /// <summary>Whether the namespaceSelector is neither absent nor <c>{}</c> (it must be resolved against Namespace labels).</summary>
    public bool HasNamespaceSelectorToResolve => !NamespaceSelector.IsEverything && !ReferenceEquals(NamespaceSelector, LabelSelector.Nothing);

    /// <summary>The weight of a preferred term (0 for required terms).</summary>
    public long Weight { get; }

    /// <summary>Whether the term selects <paramref name="target"/>, whose namespace has <paramref name="namespaceLabels"/>.</summary>
    public bool Matches(V1Pod target, IDictionary<string, string>? namespaceLabels)
    {
        var ns = target.Metadata?.NamespaceProperty ?? "default";
        if (!Namespaces.Contains(ns) && !NamespaceSelector.Matches(namespaceLabels)) return false;
        return Selector.Matches(target.Metadata?.Labels);
    }

    /// <summary>
    /// The term with the namespaces its namespaceSelector selects now added to <see cref="Namespaces"/> (upstream's
    /// mergeAffinityTermNamespacesIfNotEmpty): a selector other than <c>{}</c> is then no longer needed.
    /// </summary>
    public AffinityTerm WithSelectedNamespaces(Func<LabelSelector, IEnumerable<string>> namespacesMatching)
    {
        if (!HasNamespaceSelectorToResolve) return this;
        var merged = new HashSet<string>(Namespaces, StringComparer.Ordinal);
        foreach (var n in namespacesMatching(NamespaceSelector)) merged.Add(n);
        return new AffinityTerm(TopologyKey, Selector, merged, LabelSelector.Nothing, Weight);
    }

    /// <summary>
    /// Upstream's reading of a term: null or empty <c>namespaces</c> with a null <c>namespaceSelector</c> means the owner's
    /// namespace; otherwise the union of the listed namespaces and those the selector matches (<c>{}</c>: all). A null
    /// label selector selects no pod.
    /// </summary>
    public static AffinityTerm From(V1PodAffinityTerm term, V1Pod owner, long weight = 0)
    {
        ArgumentNullException.ThrowIfNull(term);
        ArgumentNullException.ThrowIfNull(owner);
        IReadOnlySet<string> namespaces = term.Namespaces is { Count: > 0 } list
            ? new HashSet<string>(list, StringComparer.Ordinal)
            : term.NamespaceSelector is null ? new HashSet<string>(StringComparer.Ordinal) { owner.Metadata?.NamespaceProperty ?? "default" } : EmptySet;
        var namespaceSelector = term.NamespaceSelector is null ? LabelSelector.Nothing : LabelSelector.FromLabelSelector(term.NamespaceSelector);
        var selector = term.LabelSelector is null ? LabelSelector.Nothing : LabelSelector.FromLabelSelector(term.LabelSelector);
        return new AffinityTerm(term.TopologyKey, selector, namespaces, namespaceSelector, weight);
    }

    private static readonly HashSet<string> EmptySet = new(StringComparer.Ordinal);
}
