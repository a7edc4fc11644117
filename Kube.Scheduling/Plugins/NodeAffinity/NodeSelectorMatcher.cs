using System.Globalization;
using k8s.Models;

namespace Kube.Scheduling.Plugins.NodeAffinity;

/// <summary>Node selector terms, requirements and <c>spec.nodeSelector</c> evaluated against a node (upstream's semantics).</summary>
public static class NodeSelectorMatcher
{
    /// <summary>Every label of <paramref name="nodeSelector"/> is on the node with the same value.</summary>
    public static bool MatchesNodeSelector(IDictionary<string, string>? nodeSelector, V1Node node)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (nodeSelector is null || nodeSelector.Count == 0) return true;
        var labels = node.Metadata?.Labels;
        foreach (var (k, v) in nodeSelector)
            if (labels is null || !labels.TryGetValue(k, out var actual) || actual != v) return false;
        return true;
    }

    /// <summary>The terms are ORed; an empty list matches nothing (but a null selector is handled by the caller).</summary>
    public static bool MatchesAnyTerm(IEnumerable<V1NodeSelectorTerm>? terms, V1Node node)
    {
        if (terms is null) return false;
        foreach (var t in terms)
            if (MatchesTerm(t, node)) return true;
        return false;
    }

    /// <summary>
    /// A term's matchExpressions (on labels) and matchFields (only <c>metadata.name</c>) are ANDed. A term with neither
    /// matches no node.
    /// </summary>
    public static bool MatchesTerm(V1NodeSelectorTerm term, V1Node node)
    {
        ArgumentNullException.ThrowIfNull(term);
        ArgumentNullException.ThrowIfNull(node);
        var exprs = term.MatchExpressions ?? [];
        var fields = term.MatchFields ?? [];
        if (exprs.Count == 0 && fields.Count == 0) return false;
        var labels = node.Metadata?.Labels;
        foreach (var r in exprs)
        {
            string? value = null;
            var has = labels is not null && labels.TryGetValue(r.Key, out value);
            if (!Matches(r, has, value)) return false;
        }

        foreach (var r in fields)
        {
            if (r.Key != "metadata.name") return false;
            if (!Matches(r, true, node.Metadata?.Name)) return false;
        }

        return true;
    }

    /// <summary>One requirement against a label that is present (<paramref name="has"/>) with <paramref name="value"/>.</summary>
    public static bool Matches(V1NodeSelectorRequirement requirement, bool has, string? value)
    {
        ArgumentNullException.ThrowIfNull(requirement);
        var values = requirement.Values ?? [];
        switch (requirement.OperatorProperty)
        {
            case "In": return has && values.Contains(value!);
            case "NotIn": return !has || !values.Contains(value!);
            case "Exists": return has;
            case "DoesNotExist": return !has;
            case "Gt":
            case "Lt":
                if (!has || values.Count != 1) return false;
                if (!long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var actual)) return false;
                if (!long.TryParse(values[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var bound)) return false;
                return requirement.OperatorProperty == "Gt" ? actual > bound : actual < bound;
            default: return false;
        }
    }
}
