using k8s.Models;

namespace Kube.Node.Agent.Eviction;

/// <summary>A pod that may be evicted, with its usage of the resource being reclaimed (null when unknown) per container.</summary>
internal sealed record EvictionCandidate(V1Pod Pod, ulong? Usage, IReadOnlyDictionary<string, ulong> ContainerUsage)
{
    /// <summary>The pod's request of <paramref name="resource"/> (sum over its containers); inodes have none.</summary>
    public static ulong Request(V1Pod pod, string resource) =>
        resource == "inodes" ? 0 : (pod.Spec?.Containers ?? []).Aggregate(0UL, (sum, c) => sum + ContainerRequest(c, resource));

    public static ulong ContainerRequest(V1Container c, string resource) =>
        c.Resources?.Requests?.TryGetValue(resource, out var q) == true ? (ulong)Math.Max(0, q.ToDecimal()) : 0;
}
