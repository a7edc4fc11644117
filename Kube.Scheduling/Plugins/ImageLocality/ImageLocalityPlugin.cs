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
        var counts = images.ToDictionary(i => i, _ => 0, StringComparer.Ordinal);
        foreach (var n in nodes)
            foreach (var img in images)
                if (ImageSize(n.Node, img) is not null) counts[img]++;
        state.Write(StateKey, new Spread(counts, nodes.Count));
        return Status.Success;
    }

    public (long Score, Status Status) Score(CycleState state, V1Pod pod, NodeInfo nodeInfo)
    {
        ArgumentNullException.ThrowIfNull(nodeInfo);
        ArgumentNullException.ThrowIfNull(pod);
        if (state is null || !state.TryRead<Spread>(StateKey, out var spread)) spread = new Spread(new Dictionary<string, int>(StringComparer.Ordinal), 1);
        var containers = pod.Spec?.Containers?.Count ?? 0;
        double sum = 0;
        foreach (var img in PodImages(pod))
        {
            var size = ImageSize(nodeInfo.Node, img);
            if (size is null) continue;
            var have = spread.Counts.TryGetValue(img, out var c) && c > 0 ? c : 1;
            sum += (double)size.Value * have / Math.Max(1, spread.TotalNodes);
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

    private static HashSet<string> PodImages(V1Pod pod) =>
        (pod.Spec?.Containers ?? []).Where(c => !string.IsNullOrEmpty(c.Image)).Select(c => Normalize(c.Image)).ToHashSet(StringComparer.Ordinal);

    private static long? ImageSize(V1Node node, string normalized)
    {
        foreach (var image in node.Status?.Images ?? [])
            foreach (var name in image.Names ?? [])
                if (Normalize(name) == normalized) return image.SizeBytes ?? 0;
        return null;
    }

    private sealed record Spread(Dictionary<string, int> Counts, int TotalNodes);
}
