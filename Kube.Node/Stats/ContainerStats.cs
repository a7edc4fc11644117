using System.Text.Json.Serialization;

namespace Kube.Node.Stats;

/// <summary>The Summary API's ContainerStats (stats/v1alpha1) of one running container.</summary>
public sealed record ContainerStats
{
    /// <summary>The container's name in the pod spec.</summary>
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    /// <summary>When the container started.</summary>
    [JsonPropertyName("startTime")]
    public DateTimeOffset StartTime { get; init; }

    [JsonPropertyName("cpu")]
    public CpuStats? Cpu { get; init; }

    [JsonPropertyName("memory")]
    public MemoryStats? Memory { get; init; }

    /// <summary>The container's log files' usage on the node's filesystem.</summary>
    [JsonPropertyName("logs")]
    public FsStats? Logs { get; init; }
}
