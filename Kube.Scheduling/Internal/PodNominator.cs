using k8s.Models;
using Kube.Scheduling.Framework;

namespace Kube.Scheduling.Internal;

/// <summary>Thread-safe <see cref="IPodNominator"/>: nominated pods by node, keyed by UID.</summary>
internal sealed class PodNominator : IPodNominator
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (V1Pod Pod, string Node)> _byUid = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<V1Pod>> _byNode = new(StringComparer.Ordinal);

    public int Count
    {
        get { lock (_lock) return _byUid.Count; }
    }

    public void AddNominatedPod(V1Pod pod, string nodeName)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentException.ThrowIfNullOrEmpty(nodeName);
        lock (_lock)
        {
            RemoveLocked(pod.Metadata.Uid);
            _byUid[pod.Metadata.Uid] = (pod, nodeName);
            if (!_byNode.TryGetValue(nodeName, out var list)) _byNode[nodeName] = list = [];
            list.Add(pod);
        }
    }

    public void DeleteNominatedPodIfExists(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        lock (_lock) RemoveLocked(pod.Metadata.Uid);
    }

    public IReadOnlyList<V1Pod> NominatedPodsForNode(string nodeName)
    {
        lock (_lock) return _byNode.TryGetValue(nodeName, out var list) ? list.ToList() : [];
    }

    /// <summary>The node the pod is nominated to, or null.</summary>
    public string? NominatedNodeOf(string uid)
    {
        lock (_lock) return _byUid.TryGetValue(uid, out var e) ? e.Node : null;
    }

    private void RemoveLocked(string uid)
    {
        if (!_byUid.Remove(uid, out var e)) return;
        if (_byNode.TryGetValue(e.Node, out var list))
        {
            list.RemoveAll(p => p.Metadata.Uid == uid);
            if (list.Count == 0) _byNode.Remove(e.Node);
        }
    }
}
