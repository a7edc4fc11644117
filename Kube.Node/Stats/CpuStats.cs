using System.Text.Json.Serialization;

namespace Kube.Node.Stats;

/// <summary>The Summary API's CPUStats (stats/v1alpha1).</summary>
public sealed record CpuStats
{
    /// <summary>When the figures were sampled.</summary>
    [JsonPropertyName("time")]
    public DateTimeOffset Time { get; init; }

    /// <summary>The CPU rate over the last sampling window, in billionths of a core.</summary>
    [JsonPropertyName("usageNanoCores")]
    public ulong? UsageNanoCores { get; init; }

    /// <summary>Cumulative CPU time, in core-nanoseconds.</summary>
    [JsonPropertyName("usageCoreNanoSeconds")]
    public ulong? UsageCoreNanoSeconds { get; init; }
}
