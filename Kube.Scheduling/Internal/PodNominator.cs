using k8s.Models;
using Kube.Scheduling.Framework;

namespace Kube.Scheduling.Internal;

/// <summary>
/// Thread-safe <see cref="IPodNominator"/>: nominated pods by node, keyed by UID. Each node's list is an array replaced on
/// every change, so the Filter of every node in every cycle reads it without a lock or a copy.
/// </summary>
internal sealed class PodNominator : IPodNominator
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (V1Pod Pod, string Node)> _byUid = new(StringComparer.Ordinal);
    private volatile Dictionary<string, V1Pod[]> _byNode = new(StringComparer.Ordinal);
    private volatile int _count;

    public int Count => _count;

    public void AddNominatedPod(V1Pod pod, string nodeName)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentException.ThrowIfNullOrEmpty(nodeName);
        lock (_lock)
        {
            var byNode = new Dictionary<string, V1Pod[]>(_byNode, StringComparer.Ordinal);
            RemoveLocked(byNode, pod.Metadata.Uid);
            _byUid[pod.Metadata.Uid] = (pod, nodeName);
            byNode[nodeName] = byNode.TryGetValue(nodeName, out var list) ? [.. list, pod] : [pod];
            Publish(byNode);
        }
    }

    public void DeleteNominatedPodIfExists(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        lock (_lock)
        {
            if (!_byUid.ContainsKey(pod.Metadata.Uid)) return;
            var byNode = new Dictionary<string, V1Pod[]>(_byNode, StringComparer.Ordinal);
            RemoveLocked(byNode, pod.Metadata.Uid);
            Publish(byNode);
        }
    }

    public IReadOnlyList<V1Pod> NominatedPodsForNode(string nodeName) =>
        _count > 0 && _byNode.TryGetValue(nodeName, out var list) ? list : [];

    /// <summary>The node the pod is nominated to, or null.</summary>
    public string? NominatedNodeOf(string uid)
    {
        lock (_lock) return _byUid.TryGetValue(uid, out var e) ? e.Node : null;
    }

    private void Publish(Dictionary<string, V1Pod[]> byNode)
    {
        _byNode = byNode;
        _count = _byUid.Count;
    }

    private void RemoveLocked(Dictionary<string, V1Pod[]> byNode, string uid)
    {
        if (!_byUid.Remove(uid, out var e)) return;
        if (byNode.TryGetValue(e.Node, out var list))
        {
            var left = Array.FindAll(list, p => p.Metadata.Uid != uid);
            if (left.Length == 0) byNode.Remove(e.Node);
            else byNode[e.Node] = left;
        }
    }
}
