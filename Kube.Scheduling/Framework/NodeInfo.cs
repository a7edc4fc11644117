using k8s.Models;

namespace Kube.Scheduling.Framework;

/// <summary>
/// A node as the scheduler sees it: the node, the pods on it (bound and assumed), its allocatable resources and the
/// sum of its pods' requests. Plugins get snapshots: they must not change them.
/// </summary>
public sealed class NodeInfo
{
    private readonly List<V1Pod> _pods = [];

    public NodeInfo(V1Node node)
    {
        ArgumentNullException.ThrowIfNull(node);
        Node = node;
        Allocatable = Resource.FromList(node.Status?.Allocatable ?? node.Status?.Capacity);
    }

    private NodeInfo(V1Node node, Resource allocatable)
    {
        Node = node;
        Allocatable = allocatable;
    }

    public V1Node Node { get; private set; }

    public string Name => Node.Metadata.Name;

    public IReadOnlyList<V1Pod> Pods => _pods;

    public Resource Allocatable { get; private set; }

    /// <summary>The sum of the pods' requests.</summary>
    public Resource Requested { get; private set; } = new();

    /// <summary>The sum of the pods' requests with upstream's defaults for missing cpu/memory requests (for scoring).</summary>
    public Resource NonZeroRequested { get; private set; } = new();

    /// <summary>How many of the pods have required pod anti-affinity terms (InterPodAffinity skips nodes without any).</summary>
    public int PodsWithRequiredAntiAffinity { get; private set; }

    /// <summary>How many of the pods have any pod affinity or anti-affinity terms.</summary>
    public int PodsWithAffinity { get; private set; }

    /// <summary>Increases on every change, so that snapshots can tell what changed.</summary>
    public long Generation { get; private set; }

    internal void SetNode(V1Node node)
    {
        Node = node;
        Allocatable = Resource.FromList(node.Status?.Allocatable ?? node.Status?.Capacity);
        Generation++;
    }

    internal void AddPod(V1Pod pod)
    {
        _pods.Add(pod);
        if (HasRequiredAntiAffinity(pod)) PodsWithRequiredAntiAffinity++;
        if (HasPodAffinity(pod)) PodsWithAffinity++;
        Requested.Add(Resource.CachedPodRequests(pod));
        NonZeroRequested.Add(Resource.CachedPodRequests(pod, nonZero: true));
        Generation++;
    }

    internal bool RemovePod(string uid)
    {
        var i = _pods.FindIndex(p => p.Metadata.Uid == uid);
        if (i < 0) return false;
        var pod = _pods[i];
        _pods.RemoveAt(i);
        if (HasRequiredAntiAffinity(pod)) PodsWithRequiredAntiAffinity--;
        if (HasPodAffinity(pod)) PodsWithAffinity--;
        Requested.Subtract(Resource.CachedPodRequests(pod));
        NonZeroRequested.Subtract(Resource.CachedPodRequests(pod, nonZero: true));
        Generation++;
        return true;
    }

    /// <summary>A copy that later changes to this one do not affect.</summary>
    public NodeInfo Clone()
    {
        var c = new NodeInfo(Node, Allocatable)
        {
            Requested = Requested.Clone(), NonZeroRequested = NonZeroRequested.Clone(), Generation = Generation,
            PodsWithRequiredAntiAffinity = PodsWithRequiredAntiAffinity, PodsWithAffinity = PodsWithAffinity,
        };
        c._pods.AddRange(_pods);
        return c;
    }

    /// <summary>Whether the pod has any pod affinity or anti-affinity term.</summary>
    internal static bool HasPodAffinity(V1Pod pod) => pod.Spec?.Affinity is { } a && (a.PodAffinity is not null || a.PodAntiAffinity is not null);

    private static bool HasRequiredAntiAffinity(V1Pod pod) =>
        pod.Spec?.Affinity?.PodAntiAffinity?.RequiredDuringSchedulingIgnoredDuringExecution is { Count: > 0 };

    /// <summary>A NodeInfo for a node and the pods on it (for tests and simulations).</summary>
    public static NodeInfo Create(V1Node node, params V1Pod[] pods)
    {
        var info = new NodeInfo(node);
        foreach (var p in pods) info.AddPod(p);
        return info;
    }
}
