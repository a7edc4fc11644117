using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Kube.Controllers.BuiltIn.HorizontalPodAutoscaler;

/// <summary>
/// The <c>metrics.k8s.io/v1beta1</c> PodMetrics the HPA reads (what metrics-server, or the API server in its place,
/// serves): one usage figure per container. Only the fields the controller needs.
/// </summary>
[KubernetesEntity(Group = "metrics.k8s.io", ApiVersion = "v1beta1", Kind = "PodMetrics", PluralName = "pods")]
internal sealed class PodMetrics : IKubernetesObject<V1ObjectMeta>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "metrics.k8s.io/v1beta1";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "PodMetrics";

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("timestamp")]
    public DateTime? Timestamp { get; set; }

    [JsonPropertyName("window")]
    public string? Window { get; set; }

    [JsonPropertyName("containers")]
    public IList<ContainerMetrics>? Containers { get; set; }
}
