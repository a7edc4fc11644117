using System.Text.Json.Serialization;

namespace Kube.Node.Stats;

/// <summary>The Summary API's PodStats (stats/v1alpha1): a pod's containers and their sums.</summary>
public sealed record PodStats
{
    [JsonPropertyName("podRef")]
    public required PodReference PodRef { get; init; }

    /// <summary>When the pod's sandbox was created.</summary>
    [JsonPropertyName("startTime")]
    public DateTimeOffset StartTime { get; init; }

    /// <summary>The running containers with their usage.</summary>
    [JsonPropertyName("containers")]
    public IReadOnlyList<ContainerStats> Containers { get; init; } = [];

    /// <summary>The sum over <see cref="Containers"/>; null when the runtime reports no usage.</summary>
    [JsonPropertyName("cpu")]
    public CpuStats? Cpu { get; init; }

    /// <summary>The sum over <see cref="Containers"/>; null when the runtime reports no usage.</summary>
    [JsonPropertyName("memory")]
    public MemoryStats? Memory { get; init; }

    /// <summary>The pod's own files (its working directory: volumes, logs) on the node's filesystem.</summary>
    [JsonPropertyName("ephemeral-storage")]
    public FsStats? EphemeralStorage { get; init; }

    [JsonPropertyName("process_stats")]
    public ProcessStats? ProcessStats { get; init; }
}
