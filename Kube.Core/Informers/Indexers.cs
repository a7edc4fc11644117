using k8s;
using k8s.Models;

namespace Kube.Core.Informers;

/// <summary>Well-known index names and the object key function.</summary>
public static class Indexers
{
    /// <summary>The index of objects by metadata.namespace.</summary>
    public const string Namespace = "namespace";

    /// <summary>"namespace/name", or "name" for cluster-scoped objects.</summary>
    public static string KeyOf(IKubernetesObject<V1ObjectMeta> obj) => KeyOf(obj.Metadata?.NamespaceProperty, obj.Metadata?.Name ?? "");

    public static string KeyOf(string? @namespace, string name) => string.IsNullOrEmpty(@namespace) ? name : $"{@namespace}/{name}";

    /// <summary>Splits a key into namespace (null when cluster-scoped) and name.</summary>
    public static (string? Namespace, string Name) SplitKey(string key)
    {
        var slash = key.IndexOf('/');
        return slash < 0 ? (null, key) : (key[..slash], key[(slash + 1)..]);
    }
}
