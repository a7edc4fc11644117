using System.Reflection;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Kube.Core.Resources;

/// <summary>
/// A base class for custom resources: apiVersion, kind, metadata, spec and status. Annotate the derived class with
/// <see cref="KubernetesEntityAttribute"/> (group, version, kind, plural) and register it with
/// <see cref="ResourceTypeRegistryExtensions.RegisterCustomResource{T}"/>; apiVersion and kind are then filled in
/// from the attribute when an instance is created.
/// </summary>
/// <example>
/// <code>
/// [KubernetesEntity(Group = "example.com", ApiVersion = "v1", Kind = "Widget", PluralName = "widgets")]
/// public sealed class Widget : CustomResource&lt;WidgetSpec, WidgetStatus&gt; { }
/// </code>
/// </example>
public abstract class CustomResource<TSpec, TStatus> : IKubernetesObject<V1ObjectMeta>, ISpec<TSpec>, IStatus<TStatus?>
    where TSpec : new()
{
    protected CustomResource()
    {
        var a = GetType().GetCustomAttribute<KubernetesEntityAttribute>();
        if (a is not null)
        {
            ApiVersion = string.IsNullOrEmpty(a.Group) ? a.ApiVersion : $"{a.Group}/{a.ApiVersion}";
            Kind = a.Kind;
        }
    }

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "";

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public TSpec Spec { get; set; } = new();

    [JsonPropertyName("status")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public TStatus? Status { get; set; }
}
