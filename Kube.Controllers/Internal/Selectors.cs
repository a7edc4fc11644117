using k8s.Models;
using Kube.Core.Selectors;

namespace Kube.Controllers.Internal;

/// <summary>Label-selector matching of metav1.LabelSelector, through Kube.Core's <see cref="LabelSelector"/>.</summary>
internal static class Selectors
{
    /// <summary>True when <paramref name="labels"/> satisfy <paramref name="selector"/>. A null selector matches nothing; an empty one everything.</summary>
    public static bool Matches(V1LabelSelector? selector, IDictionary<string, string>? labels) =>
        LabelSelector.FromLabelSelector(selector).Matches(labels);

    /// <summary>True when the selector selects nothing useful (null, or without any requirement).</summary>
    public static bool IsEmpty(V1LabelSelector? selector) =>
        selector is null || ((selector.MatchLabels?.Count ?? 0) == 0 && (selector.MatchExpressions?.Count ?? 0) == 0);
}
