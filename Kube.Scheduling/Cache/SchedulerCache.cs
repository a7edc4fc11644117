using k8s.Models;
using Kube.Scheduling.Framework;

namespace Kube.Scheduling.Cache;

/// <summary>
/// The scheduler's view of the cluster: a <see cref="NodeInfo"/> per node with the pods bound to it (from informers) and
/// the pods the scheduler assumed there while their binding is in flight. Thread-safe. <see cref="Snapshot"/> hands
/// out copies, re-copying only the nodes that changed since the last snapshot.
/// </summary>
public sealed class SchedulerCache
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, NodeInfo> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PodState> _pods = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NodeInfo> _snapshot = new(StringComparer.Ordinal);

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
                return;
            }

            info = new NodeInfo(node);
            foreach (var p in _pods.Values.Where(p => p.NodeName == name)) info.AddPod(p.Pod);
            _nodes[name] = info;
        }
    }

    public void RemoveNode(string name)
    {
        lock (_lock) _nodes.Remove(name);
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
            _pods[uid] = new PodState(pod, node, Assumed: false, BindingFinished: true);
            if (_nodes.TryGetValue(node, out var info)) info.AddPod(pod);
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
            _pods[uid] = new PodState(assumed, nodeName, Assumed: true, BindingFinished: false);
            if (_nodes.TryGetValue(nodeName, out var info)) info.AddPod(assumed);
        }
    }

    /// <summary>The binding call returned; the pod stays assumed until the informer shows it bound.</summary>
    public void FinishBinding(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        lock (_lock)
        {
            if (_pods.TryGetValue(pod.Metadata.Uid, out var s) && s.Assumed) _pods[pod.Metadata.Uid] = s with { BindingFinished = true };
        }
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

    /// <summary>Whether the cache counts the pod on some node (assumed or bound).</summary>
    public bool Contains(string uid)
    {
        lock (_lock) return _pods.ContainsKey(uid);
    }

    /// <summary>Copies of the node infos, sorted by name; unchanged nodes reuse the previous snapshot's copies.</summary>
    public IReadOnlyList<NodeInfo> Snapshot()
    {
        lock (_lock)
        {
            foreach (var name in _snapshot.Keys.Where(n => !_nodes.ContainsKey(n)).ToList()) _snapshot.Remove(name);
            foreach (var (name, info) in _nodes)
                if (!_snapshot.TryGetValue(name, out var copy) || copy.Generation != info.Generation || !ReferenceEquals(copy.Node, info.Node))
                    _snapshot[name] = info.Clone();
            return _snapshot.Values.OrderBy(n => n.Name, StringComparer.Ordinal).ToList();
        }
    }

    private void Detach(PodState state)
    {
        if (_nodes.TryGetValue(state.NodeName, out var info)) info.RemovePod(state.Pod.Metadata.Uid);
    }

    private sealed record PodState(V1Pod Pod, string NodeName, bool Assumed, bool BindingFinished);
}
