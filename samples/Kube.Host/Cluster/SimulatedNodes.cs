using k8s.Models;
using Kube.Core.Admission;
using Kube.Core.Client;

namespace Kube.Host.Cluster;

/// <summary>
/// The identity that drives <c>--simulated-nodes</c> (KWOK-like nodes: Node objects, leases and pod status, no
/// processes). Like kwok's controller it is one identity for all of them, bound to the bootstrap <c>system:node</c>
/// ClusterRole (nodes, node status, leases, pod status, events) rather than per-node Node authorization.
/// </summary>
internal static class SimulatedNodes
{
    public const string BindingName = "kube-host:simulated-nodes";

    public static UserInfo Identity { get; } = new("system:kube-host:simulated-nodes", ["system:authenticated"]);

    /// <summary>Creates the ClusterRoleBinding system:node → <see cref="Identity"/> when missing (with the administrator client).</summary>
    public static async Task EnsureBindingAsync(IKubeClient admin, CancellationToken ct)
    {
        var binding = new V1ClusterRoleBinding
        {
            ApiVersion = "rbac.authorization.k8s.io/v1",
            Kind = "ClusterRoleBinding",
            Metadata = new V1ObjectMeta { Name = BindingName, Labels = new Dictionary<string, string> { ["app.kubernetes.io/managed-by"] = "kube-host" } },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "system:node" },
            Subjects = [new Rbacv1Subject { Kind = "User", ApiGroup = "rbac.authorization.k8s.io", Name = Identity.Name }],
        };
        try
        {
            await admin.CreateAsync(binding, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (KubeApiException e) when ((int)e.StatusCode == 409)
        {
        }
    }
}
