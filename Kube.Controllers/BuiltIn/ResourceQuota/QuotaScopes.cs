using k8s.Models;

namespace Kube.Controllers.BuiltIn.ResourceQuota;

/// <summary>
/// Upstream's quota scopes, for status.used: a quota with <c>scopes</c>/<c>scopeSelector</c> counts only the pods matching all
/// of them (Terminating: activeDeadlineSeconds set; NotTerminating; BestEffort: no cpu/memory request or limit in any container;
/// NotBestEffort; PriorityClass: Exists when priorityClassName is set, In/NotIn on it, DoesNotExist never - upstream evaluates
/// a label selector over {PriorityClass: name}, whose key always exists) and no other kind. The API server's ResourceQuota
/// admission applies the same rules.
/// </summary>
internal static class QuotaScopes
{
    public static bool IsScoped(V1ResourceQuota quota) =>
        quota.Spec?.Scopes is { Count: > 0 } || quota.Spec?.ScopeSelector?.MatchExpressions is { Count: > 0 };

    public static bool Matches(V1ResourceQuota quota, V1Pod pod)
    {
        foreach (var scope in quota.Spec?.Scopes ?? [])
        {
            if (!Matches(scope, "Exists", [], pod)) return false;
        }
        foreach (var e in quota.Spec?.ScopeSelector?.MatchExpressions ?? [])
        {
            if (!Matches(e.ScopeName, e.OperatorProperty, e.Values ?? [], pod)) return false;
        }
        return true;
    }

    private static bool BestEffort(V1Pod pod) =>
        (pod.Spec?.Containers ?? []).Concat(pod.Spec?.InitContainers ?? []).All(c =>
            !Has(c.Resources?.Requests) && !Has(c.Resources?.Limits));

    private static bool Has(IDictionary<string, ResourceQuantity>? map) => map is not null && (map.ContainsKey("cpu") || map.ContainsKey("memory"));

    private static bool Matches(string scope, string op, IList<string> values, V1Pod pod)
    {
        var priorityClass = pod.Spec?.PriorityClassName ?? "";
        return scope switch
        {
            "Terminating" => pod.Spec?.ActiveDeadlineSeconds is >= 0,
            "NotTerminating" => pod.Spec?.ActiveDeadlineSeconds is not >= 0,
            "BestEffort" => BestEffort(pod),
            "NotBestEffort" => !BestEffort(pod),
            "PriorityClass" => op switch
            {
                "Exists" => priorityClass.Length > 0,
                "In" => values.Contains(priorityClass),
                "NotIn" => !values.Contains(priorityClass),
                _ => false,
            },
            _ => false,
        };
    }
}
