using System.Text.Json.Serialization;
using k8s.Models;

namespace Kube.ApiServer.Tests.Metrics;

/// <summary>One container's usage in a <see cref="TestPodMetrics"/>.</summary>
internal sealed class TestContainerMetrics
{
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    [JsonPropertyName("usage")]
    public Dictionary<string, ResourceQuantity> Usage { get; set; } = [];
}
