using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Kube.ApiServer.Tests.Metrics;

/// <summary>A caller's own PodMetrics model (KubernetesClient has none), unknown to the server's type registry.</summary>
[KubernetesEntity(Group = "metrics.k8s.io", ApiVersion = "v1beta1", Kind = "PodMetrics", PluralName = "pods")]
internal sealed class TestPodMetrics : IKubernetesObject<V1ObjectMeta>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "metrics.k8s.io/v1beta1";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "PodMetrics";

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("containers")]
    public List<TestContainerMetrics> Containers { get; set; } = [];
}
