using System.Text.Json.Serialization;

namespace Kube.Node.Stats;

/// <summary>The Summary API's PodReference.</summary>
public sealed record PodReference
{
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    [JsonPropertyName("namespace")]
    public required string Namespace { get; init; }

    [JsonPropertyName("uid")]
    public required string Uid { get; init; }
}
