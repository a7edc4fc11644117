using System.Collections;

namespace Kube.Scheduling.Framework;

/// <summary>
/// The nodes of one scheduling cycle (upstream's cache Snapshot): every node by name order, plus the lists of the nodes
/// that have pods with pod affinity terms and with required anti-affinity terms, so that InterPodAffinity visits only
/// those when the incoming pod has no terms of its own. The lists are rebuilt only when a node joins or leaves them.
/// </summary>
public sealed class NodeInfoSnapshot : IReadOnlyList<NodeInfo>
{
    private NodeInfo[] _nodes;

    /// <summary>A snapshot over <paramref name="nodes"/> (for tests and simulations; the scheduler's cache keeps its own).</summary>
    public NodeInfoSnapshot(IEnumerable<NodeInfo> nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        _nodes = nodes.ToArray();
        RebuildAffinityLists();
    }

    /// <summary>The nodes with at least one pod that has pod affinity or anti-affinity terms.</summary>
    public IReadOnlyList<NodeInfo> HavePodsWithAffinity { get; private set; } = [];

    /// <summary>The nodes with at least one pod that has required pod anti-affinity terms.</summary>
    public IReadOnlyList<NodeInfo> HavePodsWithRequiredAntiAffinity { get; private set; } = [];

    public int Count => _nodes.Length;

    public NodeInfo this[int index] => _nodes[index];

    /// <summary>The nodes that <paramref name="nodes"/> have with pods with affinity terms (the snapshot's list when it is one).</summary>
    public static IReadOnlyList<NodeInfo> WithPodsWithAffinity(IReadOnlyList<NodeInfo> nodes) =>
        nodes is NodeInfoSnapshot s ? s.HavePodsWithAffinity : nodes.Where(n => n.PodsWithAffinity.Count > 0).ToList();

    /// <summary>The nodes that <paramref name="nodes"/> have with pods with required anti-affinity terms.</summary>
    public static IReadOnlyList<NodeInfo> WithPodsWithRequiredAntiAffinity(IReadOnlyList<NodeInfo> nodes) =>
        nodes is NodeInfoSnapshot s ? s.HavePodsWithRequiredAntiAffinity : nodes.Where(n => n.PodsWithRequiredAntiAffinity.Count > 0).ToList();

    public IEnumerator<NodeInfo> GetEnumerator() => ((IEnumerable<NodeInfo>)_nodes).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    internal NodeInfo[] Nodes
    {
        get => _nodes;
        set
        {
            _nodes = value;
            NodeObjectsVersion++;
        }
    }

    /// <summary>
    /// Changes whenever a node comes, goes or gets a new Node object (not when only its pods change), so that plugins can
    /// keep per-snapshot summaries of the nodes themselves (ImageLocality's image spread) across cycles.
    /// </summary>
    internal long NodeObjectsVersion { get; private set; }

    /// <summary>Replaces node <paramref name="index"/>; returns whether the affinity lists must be rebuilt (they held or now hold it).</summary>
    internal bool Replace(int index, NodeInfo node)
    {
        var old = _nodes[index];
        _nodes[index] = node;
        if (!ReferenceEquals(old.Node, node.Node)) NodeObjectsVersion++;
        return old.PodsWithAffinity.Count > 0 || node.PodsWithAffinity.Count > 0;
    }

    /// <summary>Rebuilds the affinity lists from the nodes (after nodes came or went, or moved in or out of a list).</summary>
    internal void RebuildAffinityLists()
    {
        var affinity = new List<NodeInfo>();
        var anti = new List<NodeInfo>();
        foreach (var n in _nodes)
        {
            if (n.PodsWithAffinity.Count > 0) affinity.Add(n);
            if (n.PodsWithRequiredAntiAffinity.Count > 0) anti.Add(n);
        }

        HavePodsWithAffinity = affinity;
        HavePodsWithRequiredAntiAffinity = anti;
    }
}
