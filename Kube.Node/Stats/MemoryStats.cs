using System.Text.Json.Serialization;

namespace Kube.Node.Stats;

/// <summary>The Summary API's MemoryStats (stats/v1alpha1).</summary>
public sealed record MemoryStats
{
    /// <summary>When the figures were sampled.</summary>
    [JsonPropertyName("time")]
    public DateTimeOffset Time { get; init; }

    /// <summary>Memory still available (for the node: capacity minus working set), when there is a limit.</summary>
    [JsonPropertyName("availableBytes")]
    public ulong? AvailableBytes { get; init; }

    /// <summary>All memory in use, including page cache.</summary>
    [JsonPropertyName("usageBytes")]
    public ulong? UsageBytes { get; init; }

    /// <summary>The working set: usage minus inactive file pages; what eviction and <c>kubectl top</c> look at.</summary>
    [JsonPropertyName("workingSetBytes")]
    public ulong? WorkingSetBytes { get; init; }

    /// <summary>Anonymous and swap-cache memory.</summary>
    [JsonPropertyName("rssBytes")]
    public ulong? RssBytes { get; init; }

    /// <summary>Cumulative minor page faults.</summary>
    [JsonPropertyName("pageFaults")]
    public ulong? PageFaults { get; init; }

    /// <summary>Cumulative major page faults.</summary>
    [JsonPropertyName("majorPageFaults")]
    public ulong? MajorPageFaults { get; init; }
}
