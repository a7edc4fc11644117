using k8s.Models;
using Kube.Scheduling.Framework;

namespace Kube.Scheduling.Plugins.ImageLocality;

/// <summary>
/// Score: favours nodes that already have the pod's container images (from <c>node.status.images</c>). Each present
/// image counts its size scaled by the fraction of nodes that have it (so images everywhere do not dominate); the sum is
/// clamped to [23 MiB, 1000 MiB × containers] and mapped to 0..100. Image names without a tag or digest get ":latest".
/// Upstream's default weight is 1.
/// </summary>
public sealed class ImageLocalityPlugin : IPreFilterPlugin, IScorePlugin
{
    public const string PluginName = "ImageLocality";
    public const long MinThreshold = 23L * 1024 * 1024;
    public const long MaxContainerThreshold = 1000L * 1024 * 1024;
    private const string StateKey = "PreScore" + PluginName;

    public string Name => PluginName;

    /// <summary>Counts, over all nodes, how many have each of the pod's images (upstream does this in PreScore).</summary>
    public Status PreFilter(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> nodes)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(nodes);
        var images = PodImages(pod);
        var counts = new int[images.Length];
        if (images.Length > 0)
        {
            if (nodes is NodeInfoSnapshot snapshot)
            {
                // Upstream's cache keeps each image's node count (ImageStates); here the counts are kept per snapshot
                // until a node comes, goes or changes, instead of visiting every node in every cycle.
                var all = ImageNodeCounts(snapshot);
                for (var i = 0; i < images.Length; i++) counts[i] = all.GetValueOrDefault(images[i]);
            }
            else
            {
                foreach (var n in nodes)
                {
                    if (ImagesOf(n.Node) is not { } present) continue;
                    for (var i = 0; i < images.Length; i++)
                        if (present.ContainsKey(images[i])) counts[i]++;
                }
            }
        }

        state.Write(StateKey, new Spread(images, counts, nodes.Count));
        return Status.Success;
    }

    private ImageCounts? _imageCounts;

    /// <summary>How many of the snapshot's nodes have each image, recomputed only when the snapshot's nodes changed.</summary>
    private Dictionary<string, int> ImageNodeCounts(NodeInfoSnapshot snapshot)
    {
        var memo = Volatile.Read(ref _imageCounts);
        if (memo is not null && ReferenceEquals(memo.Snapshot, snapshot) && memo.Version == snapshot.NodeObjectsVersion) return memo.Counts;
        var version = snapshot.NodeObjectsVersion;
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var n in snapshot)
            if (ImagesOf(n.Node) is { } present)
                foreach (var image in present.Keys)
                    counts[image] = counts.GetValueOrDefault(image) + 1;
        Volatile.Write(ref _imageCounts, new ImageCounts(snapshot, version, counts));
        return counts;
    }

    public (long Score, Status Status) Score(CycleState state, V1Pod pod, NodeInfo nodeInfo)
    {
        ArgumentNullException.ThrowIfNull(nodeInfo);
        ArgumentNullException.ThrowIfNull(pod);
        if (state?.Read(StateKey) is not Spread spread)
        {
            var images = PodImages(pod);
            spread = new Spread(images, new int[images.Length], 1);
        }

        var containers = pod.Spec?.Containers?.Count ?? 0;
        double sum = 0;
        if (ImagesOf(nodeInfo.Node) is { } present)
        {
            for (var i = 0; i < spread.Images.Length; i++)
            {
                if (!present.TryGetValue(spread.Images[i], out var size)) continue;
                var have = spread.Counts[i] > 0 ? spread.Counts[i] : 1;
                sum += (double)size * have / Math.Max(1, spread.TotalNodes);
            }
        }

        return (CalculateScore((long)sum, containers), Status.Success);
    }

    /// <summary>Maps the summed image score to 0..100 between the thresholds.</summary>
    public static long CalculateScore(long sum, int containers)
    {
        var max = MaxContainerThreshold * Math.Max(1, containers);
        sum = Math.Clamp(sum, MinThreshold, max);
        return IScorePlugin.MaxNodeScore * (sum - MinThreshold) / (max - MinThreshold);
    }

    /// <summary>"name" and "name:latest" are the same image; a digest or explicit tag is kept.</summary>
    public static string Normalize(string image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Contains('@', StringComparison.Ordinal)) return image;
        var slash = image.LastIndexOf('/');
        return image.IndexOf(':', slash + 1) >= 0 ? image : image + ":latest";
    }

    private static string[] PodImages(V1Pod pod) =>
        (pod.Spec?.Containers ?? []).Where(c => !string.IsNullOrEmpty(c.Image)).Select(c => Normalize(c.Image)).Distinct(StringComparer.Ordinal).ToArray();

    /// <summary>
    /// The node's images by normalized name with their sizes (null when it lists none), computed once per node object
    /// (informers replace a changed node rather than change it) as upstream's NodeInfo.ImageStates.
    /// </summary>
    private static Dictionary<string, long>? ImagesOf(V1Node node)
    {
        if (node.Status?.Images is not { Count: > 0 }) return null;
        return NodeImages.GetValue(node, static n =>
        {
            var map = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var image in n.Status.Images)
                foreach (var name in image.Names ?? [])
                    map.TryAdd(Normalize(name), image.SizeBytes ?? 0);
            return map;
        });
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<V1Node, Dictionary<string, long>> NodeImages = new();

    private sealed record ImageCounts(NodeInfoSnapshot Snapshot, long Version, Dictionary<string, int> Counts);

    private sealed record Spread(string[] Images, int[] Counts, int TotalNodes);
}
