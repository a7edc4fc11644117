using k8s.Models;

namespace Kube.ApiServer.Authorization;

/// <summary>Upstream's RBAC rule matching (pkg/apis/rbac/v1/evaluation_helpers.go).</summary>
internal static class RbacRules
{
    public static bool Allows(V1PolicyRule rule, AuthorizationAttributes a)
    {
        if (!Has(rule.Verbs, a.Verb)) return false;
        if (a.Resource is null)
        {
            if (a.Path is null || rule.NonResourceURLs is not { Count: > 0 } urls) return false;
            return urls.Any(u => u == "*" || u == a.Path || (u.EndsWith('*') && a.Path.StartsWith(u[..^1], StringComparison.Ordinal)));
        }
        if (rule.NonResourceURLs is { Count: > 0 } && rule.Resources is not { Count: > 0 }) return false;
        if (!Has(rule.ApiGroups, a.ApiGroup)) return false;
        var combined = a.Subresource is null ? a.Resource : $"{a.Resource}/{a.Subresource}";
        var resources = rule.Resources ?? [];
        var resourceOk = resources.Any(r => r == "*" || r == combined || (a.Subresource is not null && r == "*/" + a.Subresource));
        if (!resourceOk) return false;
        if (rule.ResourceNames is not { Count: > 0 } names) return true;
        return !string.IsNullOrEmpty(a.Name) && names.Contains(a.Name);
    }

    private static bool Has(IList<string>? values, string value) => values is not null && values.Any(v => v == "*" || v == value);

    public static bool SubjectMatches(Rbacv1Subject subject, Kube.Core.Admission.UserInfo user, string? bindingNamespace) => subject.Kind switch
    {
        "User" => subject.Name == user.Name,
        "Group" => user.Groups.Contains(subject.Name),
        "ServiceAccount" => user.Name == $"system:serviceaccount:{(string.IsNullOrEmpty(subject.NamespaceProperty) ? bindingNamespace : subject.NamespaceProperty)}:{subject.Name}",
        _ => false,
    };
}
