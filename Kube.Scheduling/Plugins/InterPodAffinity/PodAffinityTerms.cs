using System.Runtime.CompilerServices;
using k8s.Models;
using Kube.Core.Selectors;

namespace Kube.Scheduling.Plugins.InterPodAffinity;

/// <summary>A pod's affinity terms, parsed once per pod object (pods in the cache are not changed, only replaced).</summary>
internal sealed class PodAffinityTerms
{
    private static readonly ConditionalWeakTable<V1Pod, PodAffinityTerms> Parsed = new();

    private PodAffinityTerms(V1Pod pod)
    {
        var a = pod.Spec?.Affinity;
        RequiredAffinity = (a?.PodAffinity?.RequiredDuringSchedulingIgnoredDuringExecution ?? []).Select(t => AffinityTerm.From(t, pod)).ToArray();
        RequiredAntiAffinity = (a?.PodAntiAffinity?.RequiredDuringSchedulingIgnoredDuringExecution ?? []).Select(t => AffinityTerm.From(t, pod)).ToArray();
        PreferredAffinity = (a?.PodAffinity?.PreferredDuringSchedulingIgnoredDuringExecution ?? []).Select(w => AffinityTerm.From(w.PodAffinityTerm, pod, w.Weight)).ToArray();
        PreferredAntiAffinity = (a?.PodAntiAffinity?.PreferredDuringSchedulingIgnoredDuringExecution ?? []).Select(w => AffinityTerm.From(w.PodAffinityTerm, pod, w.Weight)).ToArray();
    }

    private PodAffinityTerms(AffinityTerm[] ra, AffinityTerm[] raa, AffinityTerm[] pa, AffinityTerm[] paa)
    {
        RequiredAffinity = ra;
        RequiredAntiAffinity = raa;
        PreferredAffinity = pa;
        PreferredAntiAffinity = paa;
    }

    public AffinityTerm[] RequiredAffinity { get; }

    public AffinityTerm[] RequiredAntiAffinity { get; }

    public AffinityTerm[] PreferredAffinity { get; }

    public AffinityTerm[] PreferredAntiAffinity { get; }

    public bool HasRequired => RequiredAffinity.Length > 0 || RequiredAntiAffinity.Length > 0;

    public bool HasPreferred => PreferredAffinity.Length > 0 || PreferredAntiAffinity.Length > 0;

    public static PodAffinityTerms Of(V1Pod pod) => Parsed.GetValue(pod, static p => new PodAffinityTerms(p));

    /// <summary>These terms with their namespaceSelectors resolved to namespaces (for the incoming pod's own terms).</summary>
    public PodAffinityTerms WithSelectedNamespaces(Func<LabelSelector, IEnumerable<string>> namespacesMatching)
    {
        AffinityTerm[] Resolve(AffinityTerm[] terms) => terms.Select(t => t.WithSelectedNamespaces(namespacesMatching)).ToArray();
        var all = RequiredAffinity.Concat(RequiredAntiAffinity).Concat(PreferredAffinity).Concat(PreferredAntiAffinity);
        if (!all.Any(t => t.HasNamespaceSelectorToResolve)) return this;
        return new PodAffinityTerms(Resolve(RequiredAffinity), Resolve(RequiredAntiAffinity), Resolve(PreferredAffinity), Resolve(PreferredAntiAffinity));
    }
}
