using k8s.Models;
using Kube.Scheduling.Framework;

namespace Kube.Scheduling.Cache;

/// <summary>
/// The scheduler's view of the cluster: a <see cref="NodeInfo"/> per node with the pods bound to it (from informers) and
/// the pods the scheduler assumed there while their binding is in flight. Thread-safe. <see cref="Snapshot"/> hands
/// out copies, re-copying only the nodes that changed since the last snapshot.
/// <para>An assumed pod leaves the cache when the informer confirms it (<see cref="AddOrUpdatePod"/>), when its binding
/// fails (<see cref="ForgetPod"/>) or when it is deleted (<see cref="RemovePod"/>). With a positive
/// <c>assumedPodTtl</c>, a pod whose binding finished but that the informer has not confirmed within the TTL is also
/// dropped by <see cref="CleanupExpiredAssumedPods"/>; upstream sets that TTL to 0 (never expire, since
/// kubernetes/kubernetes#106361), and so does the default here.</para>
/// </summary>
public sealed class SchedulerCache
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, NodeInfo> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PodState> _pods = new(StringComparer.Ordinal);
    private readonly HashSet<string> _dirty = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _snapshotIndex = new(StringComparer.Ordinal);
    private readonly NodeInfoSnapshot _snapshot = new([]);
    private readonly TimeProvider _time;
    private readonly TimeSpan _assumedPodTtl;
    private bool _nodeSetChanged = true;

    /// <summary>A cache whose assumed pods never expire by time (upstream's behaviour).</summary>
    public SchedulerCache()
        : this(TimeProvider.System, TimeSpan.Zero)
    {
    }

    /// <summary>
    /// A cache whose assumed pods expire <paramref name="assumedPodTtl"/> after their binding finished when the informer
    /// has not confirmed them by then; <see cref="TimeSpan.Zero"/> means never.
    /// </summary>
    public SchedulerCache(TimeProvider time, TimeSpan assumedPodTtl)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(assumedPodTtl, TimeSpan.Zero);
        _time = time;
        _assumedPodTtl = assumedPodTtl;
    }

    /// <summary>How long an assumed pod whose binding finished may wait for the informer; zero means forever.</summary>
    public TimeSpan AssumedPodTtl => _assumedPodTtl;

    /// <summary>How many pods are assumed now.</summary>
    public int AssumedPodCount
    {
        get
        {
            lock (_lock) return _pods.Values.Count(p => p.Assumed);
        }
    }

    public int NodeCount
    {
        get { lock (_lock) return _nodes.Count; }
    }

    public void AddOrUpdateNode(V1Node node)
    {
        ArgumentNullException.ThrowIfNull(node);
        lock (_lock)
        {
            var name = node.Metadata.Name;
            if (_nodes.TryGetValue(name, out var info))
            {
                info.SetNode(node);
                _dirty.Add(name);
                return;
            }

            info = new NodeInfo(node);
            foreach (var p in _pods.Values.Where(p => p.NodeName == name)) info.AddPod(p.Pod);
            _nodes[name] = info;
            _nodeSetChanged = true;
        }
    }

    public void RemoveNode(string name)
    {
        lock (_lock)
        {
            if (_nodes.Remove(name)) _nodeSetChanged = true;
        }
    }

    /// <summary>A pod bound to a node (seen by the informer): confirms an assumed pod, or adds or moves it.</summary>
    public void AddOrUpdatePod(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        var node = pod.Spec?.NodeName;
        if (string.IsNullOrEmpty(node)) return;
        lock (_lock)
        {
            var uid = pod.Metadata.Uid;
            if (_pods.TryGetValue(uid, out var existing))
                Detach(existing);
            _pods[uid] = new PodState(pod, node, Assumed: false, BindingFinished: true, Deadline: null);
            if (_nodes.TryGetValue(node, out var info))
            {
                info.AddPod(pod);
                _dirty.Add(node);
            }
        }
    }

    /// <summary>A pod was deleted (or terminated): its requests no longer count.</summary>
    public void RemovePod(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        lock (_lock)
        {
            if (_pods.Remove(pod.Metadata.Uid, out var existing)) Detach(existing);
        }
    }

    /// <summary>Counts a pod on <paramref name="nodeName"/> before its binding is confirmed.</summary>
    public void AssumePod(V1Pod pod, string nodeName)
    {
        ArgumentNullException.ThrowIfNull(pod);
        lock (_lock)
        {
            var uid = pod.Metadata.Uid;
            if (_pods.ContainsKey(uid)) throw new InvalidOperationException($"Pod {pod.Metadata.NamespaceProperty}/{pod.Metadata.Name} is already in the scheduler cache.");
            var assumed = Internal.PodCopy.WithNodeName(pod, nodeName);
            _pods[uid] = new PodState(assumed, nodeName, Assumed: true, BindingFinished: false, Deadline: null);
            if (_nodes.TryGetValue(nodeName, out var info))
            {
                info.AddPod(assumed);
                _dirty.Add(nodeName);
            }
        }
    }

    /// <summary>
    /// The binding call returned; the pod stays assumed until the informer shows it bound (or, with a TTL, until the TTL
    /// from now passed).
    /// </summary>
    public void FinishBinding(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        lock (_lock)
        {
            if (_pods.TryGetValue(pod.Metadata.Uid, out var s) && s.Assumed)
                _pods[pod.Metadata.Uid] = s with { BindingFinished = true, Deadline = _assumedPodTtl > TimeSpan.Zero ? _time.GetUtcNow() + _assumedPodTtl : null };
        }
    }

    /// <summary>
    /// Drops the assumed pods whose binding finished more than the TTL ago without the informer confirming them, and
    /// returns them (upstream's cleanupAssumedPods). Does nothing when the TTL is zero.
    /// </summary>
    public IReadOnlyList<V1Pod> CleanupExpiredAssumedPods()
    {
        if (_assumedPodTtl <= TimeSpan.Zero) return [];
        var now = _time.GetUtcNow();
        List<V1Pod>? expired = null;
        lock (_lock)
        {
            foreach (var (uid, s) in _pods)
                if (s.Assumed && s.BindingFinished && s.Deadline is { } d && now >= d) (expired ??= []).Add(s.Pod);
            foreach (var p in expired ?? [])
                if (_pods.Remove(p.Metadata.Uid, out var s)) Detach(s);
        }

        return expired ?? (IReadOnlyList<V1Pod>)[];
    }

    /// <summary>Undoes <see cref="AssumePod"/> (the binding failed).</summary>
    public void ForgetPod(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        lock (_lock)
        {
            if (_pods.TryGetValue(pod.Metadata.Uid, out var s) && s.Assumed)
            {
                _pods.Remove(pod.Metadata.Uid);
                Detach(s);
            }
        }
    }

    public bool IsAssumed(string uid)
    {
        lock (_lock) return _pods.TryGetValue(uid, out var s) && s.Assumed;
    }

    /// <summary>Whether the cache counts the pod on some node and it is not terminating (a preemption victim not yet going).</summary>
    public bool HoldsRunning(string uid)
    {
        lock (_lock) return _pods.TryGetValue(uid, out var s) && s.Pod.Metadata?.DeletionTimestamp is null;
    }

    /// <summary>Whether the cache counts the pod on some node (assumed or bound).</summary>
    public bool Contains(string uid)
    {
        lock (_lock) return _pods.ContainsKey(uid);
    }

    /// <summary>
    /// Copies of the node infos, sorted by name. Incremental: only the nodes changed since the last snapshot are copied
    /// again (and the order is rebuilt only when nodes came or went). The list is the scheduler's snapshot for one
    /// cycle: it stays valid until the next call.
    /// </summary>
    public NodeInfoSnapshot Snapshot()
    {
        lock (_lock)
        {
            if (_nodeSetChanged)
            {
                var previous = _snapshot.Nodes;
                var old = _snapshotIndex.ToDictionary(kv => kv.Key, kv => previous[kv.Value], StringComparer.Ordinal);
                _snapshot.Nodes = _nodes.Values.OrderBy(n => n.Name, StringComparer.Ordinal)
                    .Select(n => !_dirty.Contains(n.Name) && old.TryGetValue(n.Name, out var c) && c.Generation == n.Generation ? c : n.Clone())
                    .ToArray();
                _snapshotIndex.Clear();
                for (var i = 0; i < _snapshot.Count; i++) _snapshotIndex[_snapshot[i].Name] = i;
                _snapshot.RebuildAffinityLists();
                _nodeSetChanged = false;
            }
            else
            {
                var rebuild = false;
                foreach (var name in _dirty)
                    if (_snapshotIndex.TryGetValue(name, out var i) && _nodes.TryGetValue(name, out var info)) rebuild |= _snapshot.Replace(i, info.Clone());
                if (rebuild) _snapshot.RebuildAffinityLists();
            }

            _dirty.Clear();
            return _snapshot;
        }
    }

    private void Detach(PodState state)
    {
        if (_nodes.TryGetValue(state.NodeName, out var info))
        {
            info.RemovePod(state.Pod.Metadata.Uid);
            _dirty.Add(state.NodeName);
        }
    }

    private sealed record PodState(V1Pod Pod, string NodeName, bool Assumed, bool BindingFinished, DateTimeOffset? Deadline);
}
