using System.Text.Json.Serialization;

namespace Kube.Node.Stats;

/// <summary>The Summary API's NodeStats (stats/v1alpha1): the whole machine.</summary>
public sealed record NodeStats
{
    [JsonPropertyName("nodeName")]
    public required string NodeName { get; init; }

    /// <summary>When the machine booted.</summary>
    [JsonPropertyName("startTime")]
    public DateTimeOffset StartTime { get; init; }

    [JsonPropertyName("cpu")]
    public CpuStats? Cpu { get; init; }

    [JsonPropertyName("memory")]
    public MemoryStats? Memory { get; init; }

    /// <summary>The filesystem of the agent's data directory (upstream's nodefs).</summary>
    [JsonPropertyName("fs")]
    public FsStats? Fs { get; init; }

    [JsonPropertyName("runtime")]
    public RuntimeStats? Runtime { get; init; }
}
