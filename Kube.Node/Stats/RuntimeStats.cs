using System.Text.Json.Serialization;

namespace Kube.Node.Stats;

/// <summary>The Summary API's RuntimeStats: the filesystem holding images.</summary>
public sealed record RuntimeStats
{
    [JsonPropertyName("imageFs")]
    public FsStats? ImageFs { get; init; }
}
