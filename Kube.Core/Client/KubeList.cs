using k8s;
using k8s.Models;

namespace Kube.Core.Client;

/// <summary>A page of a list: the items, the list's resourceVersion and the continue token (null at the end).</summary>
public sealed record KubeList<T>(IReadOnlyList<T> Items, string ResourceVersion, string? Continue, long? RemainingItemCount = null)
    where T : class, IKubernetesObject<V1ObjectMeta>;
