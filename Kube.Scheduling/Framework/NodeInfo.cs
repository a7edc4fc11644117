using k8s.Models;

namespace Kube.Scheduling.Framework;

/// <summary>
/// A node as the scheduler sees it: the node, the pods on it (bound and assumed), its allocatable resources and the
/// sum of its pods' requests. Plugins get snapshots: they must not change them.
/// </summary>
public sealed class NodeInfo
{
    private readonly List<V1Pod> _pods = [];
    private List<V1Pod>? _podsWithAffinity;
    private List<V1Pod>? _podsWithRequiredAntiAffinity;
    private Dictionary<string, (long Generation, int Count)>? _matchCounts;

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

    /// <summary>
    /// The pods with required pod anti-affinity terms (upstream's PodsWithRequiredAntiAffinity), kept as pods come and go
    /// so that InterPodAffinity looks only at these.
    /// </summary>
    public IReadOnlyList<V1Pod> PodsWithRequiredAntiAffinity => _podsWithRequiredAntiAffinity ?? (IReadOnlyList<V1Pod>)[];

    /// <summary>The pods with any pod affinity or anti-affinity terms (upstream's PodsWithAffinity).</summary>
    public IReadOnlyList<V1Pod> PodsWithAffinity => _podsWithAffinity ?? (IReadOnlyList<V1Pod>)[];

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
        if (HasRequiredAntiAffinity(pod)) (_podsWithRequiredAntiAffinity ??= []).Add(pod);
        if (HasPodAffinity(pod)) (_podsWithAffinity ??= []).Add(pod);
        Requested.Add(Resource.CachedPodRequests(pod));
        NonZeroRequested.Add(Resource.CachedPodRequests(pod, nonZero: true));
        Generation++;
    }

    internal bool RemovePod(string uid)
    {
        var i = _pods.Count - 1;
        while (i >= 0 && !string.Equals(_pods[i].Metadata.Uid, uid, StringComparison.Ordinal)) i--;
        if (i < 0) return false;
        var pod = _pods[i];
        _pods.RemoveAt(i);
        _podsWithRequiredAntiAffinity?.Remove(pod);
        _podsWithAffinity?.Remove(pod);
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
        };
        c._pods.AddRange(_pods);
        if (_podsWithAffinity is { Count: > 0 }) c._podsWithAffinity = [.. _podsWithAffinity];
        if (_podsWithRequiredAntiAffinity is { Count: > 0 }) c._podsWithRequiredAntiAffinity = [.. _podsWithRequiredAntiAffinity];
        return c;
    }

    /// <summary>
    /// How many pods not being deleted in <paramref name="namespace"/> have labels matching <paramref name="selector"/>,
    /// remembered under <paramref name="key"/> (the namespace and selector as text) until the node changes. A snapshot's
    /// unchanged nodes are the same objects from one cycle to the next, so spreading counts are recomputed only for the
    /// nodes that changed since. Thread-safe.
    /// </summary>
    internal int CountMatchingPods(string key, string @namespace, Kube.Core.Selectors.LabelSelector selector)
    {
        lock (_pods)
        {
            if (_matchCounts is not null && _matchCounts.TryGetValue(key, out var memo) && memo.Generation == Generation) return memo.Count;
        }

        var generation = Generation;
        var count = 0;
        foreach (var p in _pods)
            if (p.Metadata?.DeletionTimestamp is null && (p.Metadata?.NamespaceProperty ?? "default") == @namespace && selector.Matches(p.Metadata?.Labels)) count++;
        lock (_pods)
        {
            _matchCounts ??= new Dictionary<string, (long, int)>(StringComparer.Ordinal);
            if (_matchCounts.Count >= MaxMatchCounts) _matchCounts.Clear();
            _matchCounts[key] = (generation, count);
        }

        return count;
    }

    /// <summary>The most selectors a node remembers counts for (beyond that the memo starts over).</summary>
    private const int MaxMatchCounts = 64;

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
