using System.Text.Json.Serialization;
using k8s.Models;

namespace Kube.Controllers.BuiltIn.HorizontalPodAutoscaler;

/// <summary>One container's usage in a <see cref="PodMetrics"/> (cpu, memory).</summary>
internal sealed class ContainerMetrics
{
    [JsonPropertyName("name")]
    public string? Name { get; set; }

    [JsonPropertyName("usage")]
    public IDictionary<string, ResourceQuantity>? Usage { get; set; }
}
