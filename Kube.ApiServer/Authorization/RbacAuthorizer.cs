using k8s.Models;
using Kube.Core.Client;
using Kube.Core.Selectors;

namespace Kube.ApiServer.Authorization;

/// <summary>
/// Upstream's RBAC authorizer: the rules of every Role and ClusterRole bound to the user (by name, group or
/// ServiceAccount) through RoleBindings in the request's namespace and ClusterRoleBindings, with ClusterRole
/// aggregation (<c>aggregationRule.clusterRoleSelectors</c>) resolved at evaluation time. <c>system:masters</c>
/// is always allowed, as upstream's privileged group. Reads go through an in-process client whose identity is
/// in system:masters (so reading the policy is never itself authorized against the policy); lists are served
/// from the API server's watch caches.
/// </summary>
public sealed class RbacAuthorizer : IAuthorizer
{
    /// <summary>The group that is allowed everything.</summary>
    public const string SuperuserGroup = "system:masters";

    private IKubeClient? _client;

    /// <summary>Connects the authorizer to the server it guards; until then only system:masters is allowed.</summary>
    public void Attach(IKubeClient client) => _client = client ?? throw new ArgumentNullException(nameof(client));

    public async ValueTask<AuthorizationDecision> AuthorizeAsync(AuthorizationAttributes attributes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        if (attributes.User.Groups.Contains(SuperuserGroup)) return AuthorizationDecision.Allow;
        var client = _client;
        if (client is null) return AuthorizationDecision.NoOpinion;
        foreach (var rule in await RulesForAsync(client, attributes.User, attributes.Namespace, cancellationToken).ConfigureAwait(false))
        {
            if (RbacRules.Allows(rule, attributes)) return AuthorizationDecision.Allow;
        }
        return AuthorizationDecision.NoOpinion;
    }

    /// <summary>Every rule that applies to <paramref name="user"/> in <paramref name="namespace"/> (null: cluster-wide rules only).</summary>
    public static async Task<List<V1PolicyRule>> RulesForAsync(IKubeClient client, Kube.Core.Admission.UserInfo user, string? @namespace, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(user);
        var rules = new List<V1PolicyRule>();
        Dictionary<string, V1ClusterRole>? clusterRoles = null;
        async Task<Dictionary<string, V1ClusterRole>> ClusterRolesAsync() =>
            clusterRoles ??= (await client.ListAsync<V1ClusterRole>(cancellationToken: ct).ConfigureAwait(false)).Items.ToDictionary(r => r.Metadata.Name, StringComparer.Ordinal);

        foreach (var crb in (await client.ListAsync<V1ClusterRoleBinding>(cancellationToken: ct).ConfigureAwait(false)).Items)
        {
            if (crb.RoleRef?.Kind != "ClusterRole" || crb.Subjects is null || !crb.Subjects.Any(s => RbacRules.SubjectMatches(s, user, null))) continue;
            if ((await ClusterRolesAsync().ConfigureAwait(false)).TryGetValue(crb.RoleRef.Name, out var cr)) rules.AddRange(Resolve(cr, clusterRoles!));
        }
        if (!string.IsNullOrEmpty(@namespace))
        {
            var bindings = (await client.ListAsync<V1RoleBinding>(@namespace, cancellationToken: ct).ConfigureAwait(false)).Items;
            Dictionary<string, V1Role>? roles = null;
            foreach (var rb in bindings)
            {
                if (rb.RoleRef is null || rb.Subjects is null || !rb.Subjects.Any(s => RbacRules.SubjectMatches(s, user, @namespace))) continue;
                if (rb.RoleRef.Kind == "ClusterRole")
                {
                    if ((await ClusterRolesAsync().ConfigureAwait(false)).TryGetValue(rb.RoleRef.Name, out var cr)) rules.AddRange(Resolve(cr, clusterRoles!));
                }
                else if (rb.RoleRef.Kind == "Role")
                {
                    roles ??= (await client.ListAsync<V1Role>(@namespace, cancellationToken: ct).ConfigureAwait(false)).Items.ToDictionary(r => r.Metadata.Name, StringComparer.Ordinal);
                    if (roles.TryGetValue(rb.RoleRef.Name, out var role) && role.Rules is not null) rules.AddRange(role.Rules);
                }
            }
        }
        return rules;
    }

    /// <summary>A ClusterRole's rules plus, when it aggregates, the rules of every ClusterRole its selectors match.</summary>
    internal static IEnumerable<V1PolicyRule> Resolve(V1ClusterRole role, IReadOnlyDictionary<string, V1ClusterRole> all)
    {
        var rules = new List<V1PolicyRule>(role.Rules ?? []);
        if (role.AggregationRule?.ClusterRoleSelectors is { Count: > 0 } selectors)
        {
            var matchers = selectors.Select(LabelSelector.FromLabelSelector).ToList();
            foreach (var other in all.Values)
            {
                if (ReferenceEquals(other, role) || other.Metadata.Name == role.Metadata.Name) continue;
                if (matchers.Any(m => !m.IsEverything && m.Matches(other.Metadata.Labels)) && other.Rules is not null) rules.AddRange(other.Rules);
            }
        }
        return rules;
    }
}
