using k8s.Models;

namespace Kube.Controllers.Internal;

/// <summary>Label-selector matching of metav1.LabelSelector (matchLabels and matchExpressions).</summary>
internal static class Selectors
{
    /// <summary>True when <paramref name="labels"/> satisfy <paramref name="selector"/>. A null selector matches nothing; an empty one everything.</summary>
    public static bool Matches(V1LabelSelector? selector, IDictionary<string, string>? labels)
    {
        if (selector is null) return false;
        labels ??= new Dictionary<string, string>();
        if (selector.MatchLabels is { } ml)
            foreach (var (k, v) in ml)
                if (!labels.TryGetValue(k, out var actual) || actual != v) return false;
        if (selector.MatchExpressions is { } exprs)
            foreach (var e in exprs)
            {
                var has = labels.TryGetValue(e.Key, out var value);
                var values = e.Values ?? [];
                var ok = e.OperatorProperty switch
                {
                    "In" => has && values.Contains(value!),
                    "NotIn" => !has || !values.Contains(value!),
                    "Exists" => has,
                    "DoesNotExist" => !has,
                    _ => false,
                };
                if (!ok) return false;
            }

        return true;
    }

    /// <summary>True when the selector selects nothing useful (null, or without any requirement).</summary>
    public static bool IsEmpty(V1LabelSelector? selector) =>
        selector is null || ((selector.MatchLabels?.Count ?? 0) == 0 && (selector.MatchExpressions?.Count ?? 0) == 0);
}
