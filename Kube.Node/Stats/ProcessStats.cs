using System.Text.Json.Serialization;

namespace Kube.Node.Stats;

/// <summary>The Summary API's ProcessStats.</summary>
public sealed record ProcessStats
{
    /// <summary>How many processes run in the pod.</summary>
    [JsonPropertyName("process_count")]
    public ulong? ProcessCount { get; init; }
}
