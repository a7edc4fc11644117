using k8s.Models;
using Kube.Core.Client;

namespace Kube.ApiServer.Authorization;

/// <summary>
/// Upstream's Node authorizer, simplified: a node agent (<c>system:node:&lt;name&gt;</c> in <c>system:nodes</c>) may read
/// nodes, pods, services and endpoints; write only its own Node (and node/status), its own Lease in kube-node-lease,
/// the status of and deletes of pods bound to it, and events; create SubjectAccessReviews and TokenReviews (for its kubelet API); and read the secrets, configmaps, persistent volume
/// claims and service accounts that pods bound to it reference, and the persistent volumes those claims are bound to. Anything else gets no opinion (RBAC decides).
/// </summary>
public sealed class NodeAuthorizer : IAuthorizer
{
    public const string NodesGroup = "system:nodes";
    public const string NodeUserPrefix = "system:node:";
    private static readonly string[] ReadVerbs = ["get", "list", "watch"];

    private IKubeClient? _client;

    /// <summary>Connects the authorizer to the server it guards (to look up pods bound to the node).</summary>
    public void Attach(IKubeClient client) => _client = client ?? throw new ArgumentNullException(nameof(client));

    public async ValueTask<AuthorizationDecision> AuthorizeAsync(AuthorizationAttributes a, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(a);
        if (!a.User.Groups.Contains(NodesGroup) || !a.User.Name.StartsWith(NodeUserPrefix, StringComparison.Ordinal)) return AuthorizationDecision.NoOpinion;
        var node = a.User.Name[NodeUserPrefix.Length..];
        if (a.Resource is null) return AuthorizationDecision.NoOpinion;
        var read = ReadVerbs.Contains(a.Verb);
        switch (a.ApiGroup, a.Resource)
        {
            case ("", "nodes"):
                // nodes themselves only: nodes/proxy, /stats, /log, ... (the kubelet API) are not a node's to read (upstream's node rules)
                if (read && a.Subresource is null) return AuthorizationDecision.Allow;
                if (a.Verb == "create" && a.Subresource is null) return AuthorizationDecision.Allow; // registration; name checked by admission upstream
                return a.Name == node && a.Subresource is null or "status" && a.Verb is "update" or "patch" or "delete" ? AuthorizationDecision.Allow : AuthorizationDecision.NoOpinion;
            case ("coordination.k8s.io", "leases"):
                if (a.Namespace != "kube-node-lease") return AuthorizationDecision.NoOpinion;
                if (a.Verb == "create" || (a.Name == node && a.Verb is "get" or "update" or "patch" or "delete")) return AuthorizationDecision.Allow;
                return AuthorizationDecision.NoOpinion;
            case ("", "pods"):
                if (read && a.Subresource is null) return AuthorizationDecision.Allow;
                // Mirror pods of the node's static pods; NodeRestrictionAdmission limits this to mirror pods bound to the node.
                if (a.Verb == "create" && a.Subresource is null) return AuthorizationDecision.Allow;
                if (a.Verb is "update" or "patch" && a.Subresource == "status" || a.Verb == "delete" && a.Subresource is null)
                    return await PodBoundAsync(a.Namespace, a.Name, node, cancellationToken).ConfigureAwait(false) ? AuthorizationDecision.Allow : AuthorizationDecision.NoOpinion;
                return AuthorizationDecision.NoOpinion;
            case ("", "services") or ("", "endpoints") or ("discovery.k8s.io", "endpointslices") or ("", "namespaces"):
                return read ? AuthorizationDecision.Allow : AuthorizationDecision.NoOpinion;
            case ("authorization.k8s.io", "subjectaccessreviews") or ("authorization.k8s.io", "localsubjectaccessreviews") or ("authentication.k8s.io", "tokenreviews"):
                // upstream's static node rules: a kubelet asks the API server about requests to its own API (webhook authn/authz)
                return a.Verb == "create" ? AuthorizationDecision.Allow : AuthorizationDecision.NoOpinion;
            case ("", "events") or ("events.k8s.io", "events"):
                return a.Verb is "create" or "update" or "patch" ? AuthorizationDecision.Allow : AuthorizationDecision.NoOpinion;
            case ("", "secrets") or ("", "configmaps") or ("", "persistentvolumeclaims") or ("", "serviceaccounts"):
                if (a.Verb != "get" && !(a.Resource == "serviceaccounts" && a.Subresource == "token" && a.Verb == "create")) return AuthorizationDecision.NoOpinion;
                return await ReferencedAsync(a.Resource, a.Namespace, a.Name, node, cancellationToken).ConfigureAwait(false) ? AuthorizationDecision.Allow : AuthorizationDecision.NoOpinion;
            case ("", "persistentvolumes"):
                // upstream's graph: pod on the node -> claim -> the volume the claim is bound to
                if (a.Verb != "get") return AuthorizationDecision.NoOpinion;
                return await VolumeReferencedAsync(a.Name, node, cancellationToken).ConfigureAwait(false) ? AuthorizationDecision.Allow : AuthorizationDecision.NoOpinion;
            default:
                return AuthorizationDecision.NoOpinion;
        }
    }

    private async Task<bool> VolumeReferencedAsync(string? name, string node, CancellationToken ct)
    {
        if (_client is null || name is null) return false;
        var claims = (await _client.ListAsync<V1PersistentVolumeClaim>(cancellationToken: ct).ConfigureAwait(false)).Items.Where(c => c.Spec?.VolumeName == name).ToList();
        foreach (var c in claims)
            if (await ReferencedAsync("persistentvolumeclaims", c.Metadata.NamespaceProperty, c.Metadata.Name, node, ct).ConfigureAwait(false)) return true;
        return false;
    }

    private async Task<bool> PodBoundAsync(string? ns, string? name, string node, CancellationToken ct)
    {
        if (_client is null || ns is null || name is null) return false;
        try
        {
            var pod = await _client.GetAsync<V1Pod>(name, ns, ct).ConfigureAwait(false);
            return pod.Spec?.NodeName == node;
        }
        catch (KubeApiException)
        {
            return false;
        }
    }

    private async Task<bool> ReferencedAsync(string resource, string? ns, string? name, string node, CancellationToken ct)
    {
        if (_client is null || ns is null || name is null) return false;
        var pods = (await _client.ListAsync<V1Pod>(ns, cancellationToken: ct).ConfigureAwait(false)).Items.Where(p => p.Spec?.NodeName == node);
        foreach (var p in pods)
        {
            if (References(p, resource, name)) return true;
        }
        return false;
    }

    private static bool References(V1Pod pod, string resource, string name)
    {
        var spec = pod.Spec;
        if (resource == "serviceaccounts") return (spec.ServiceAccountName ?? "default") == name;
        foreach (var v in spec.Volumes ?? [])
        {
            if (resource == "secrets" && v.Secret?.SecretName == name) return true;
            if (resource == "configmaps" && v.ConfigMap?.Name == name) return true;
            if (resource == "persistentvolumeclaims" && v.PersistentVolumeClaim?.ClaimName == name) return true;
            foreach (var s in v.Projected?.Sources ?? [])
            {
                if (resource == "secrets" && s.Secret?.Name == name) return true;
                if (resource == "configmaps" && s.ConfigMap?.Name == name) return true;
            }
        }
        if (resource == "secrets" && (spec.ImagePullSecrets ?? []).Any(s => s.Name == name)) return true;
        foreach (var c in (spec.Containers ?? []).Concat(spec.InitContainers ?? []))
        {
            foreach (var e in c.Env ?? [])
            {
                if (resource == "secrets" && e.ValueFrom?.SecretKeyRef?.Name == name) return true;
                if (resource == "configmaps" && e.ValueFrom?.ConfigMapKeyRef?.Name == name) return true;
            }
            foreach (var e in c.EnvFrom ?? [])
            {
                if (resource == "secrets" && e.SecretRef?.Name == name) return true;
                if (resource == "configmaps" && e.ConfigMapRef?.Name == name) return true;
            }
        }
        return false;
    }
}
