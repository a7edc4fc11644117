using System.Text.Json.Nodes;
using k8s.Models;

namespace Kube.ApiServer.Admission;

/// <summary>
/// Upstream's quota scopes for pods: a quota with <c>scopes</c> or <c>scopeSelector</c> tracks only the pods that match every
/// one of them, and no other kind. Terminating: <c>spec.activeDeadlineSeconds</c> set (&gt;= 0); NotTerminating: unset;
/// BestEffort: no container or init container has any cpu/memory request or limit; NotBestEffort: the opposite; PriorityClass
/// (scopeSelector): <c>Exists</c> when <c>spec.priorityClassName</c> is set, otherwise In/NotIn/DoesNotExist evaluated as a
/// label selector over the single label {PriorityClass: priorityClassName} - so, as upstream, DoesNotExist matches no pod.
/// </summary>
internal static class ResourceQuotaScopes
{
    /// <summary>The facts of a pod the scopes look at.</summary>
    internal sealed record PodFacts(bool Terminating, bool BestEffort, string PriorityClass)
    {
        public static PodFacts Of(JsonObject pod)
        {
            var spec = pod["spec"] as JsonObject;
            var deadline = spec?["activeDeadlineSeconds"] is JsonValue v && v.TryGetValue<long>(out var d) && d >= 0;
            var bestEffort = true;
            foreach (var key in new[] { "containers", "initContainers" })
            {
                foreach (var c in (spec?[key] as JsonArray)?.OfType<JsonObject>() ?? [])
                {
                    foreach (var kind in new[] { "requests", "limits" })
                    {
                        if (c["resources"]?[kind] is JsonObject r && (r.ContainsKey("cpu") || r.ContainsKey("memory"))) bestEffort = false;
                    }
                }
            }
            return new PodFacts(deadline, bestEffort, spec?["priorityClassName"]?.GetValue<string>() ?? "");
        }
    }

    public static bool IsScoped(V1ResourceQuota quota) =>
        quota.Spec?.Scopes is { Count: > 0 } || quota.Spec?.ScopeSelector?.MatchExpressions is { Count: > 0 };

    /// <summary>Whether <paramref name="quota"/> tracks a pod with <paramref name="pod"/>'s facts (any unscoped quota does; null facts: not a pod).</summary>
    public static bool Matches(V1ResourceQuota quota, PodFacts? pod)
    {
        if (!IsScoped(quota)) return true;
        if (pod is null) return false;
        foreach (var scope in quota.Spec!.Scopes ?? [])
        {
            if (!Matches(scope, "Exists", [], pod)) return false;
        }
        foreach (var e in quota.Spec.ScopeSelector?.MatchExpressions ?? [])
        {
            if (!Matches(e.ScopeName, e.OperatorProperty, e.Values ?? [], pod)) return false;
        }
        return true;
    }

    private static bool Matches(string scope, string op, IList<string> values, PodFacts pod) => scope switch
    {
        "Terminating" => pod.Terminating,
        "NotTerminating" => !pod.Terminating,
        "BestEffort" => pod.BestEffort,
        "NotBestEffort" => !pod.BestEffort,
        "PriorityClass" => op switch
        {
            "Exists" => pod.PriorityClass.Length > 0,
            "In" => values.Contains(pod.PriorityClass),
            "NotIn" => !values.Contains(pod.PriorityClass),
            _ => false, // DoesNotExist: the label always exists in upstream's evaluation
        },
        _ => false, // CrossNamespacePodAffinity and unknown scopes are not evaluated here
    };
}
