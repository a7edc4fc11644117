using k8s;
using k8s.Models;

namespace Kube.Controllers.Runtime;

/// <summary>What a reconciler is asked to bring in line: one object, by namespace (null for cluster-scoped) and name.</summary>
public readonly record struct ReconcileRequest(string? Namespace, string Name)
{
    /// <summary>The request for an object.</summary>
    public static ReconcileRequest For(IKubernetesObject<V1ObjectMeta> obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var ns = obj.Metadata?.NamespaceProperty;
        return new ReconcileRequest(string.IsNullOrEmpty(ns) ? null : ns, obj.Metadata?.Name ?? "");
    }

    /// <summary>"namespace/name", or "name" for cluster-scoped objects.</summary>
    public override string ToString() => Namespace is null ? Name : $"{Namespace}/{Name}";
}
