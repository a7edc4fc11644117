using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using k8s;

namespace Kube.Core.Client;

/// <summary>
/// The JSON of <see cref="HttpKubeClient"/>'s bodies: the caller's <see cref="HttpKubeClientOptions.SerializerOptions"/> (typically
/// a source-generated context of the few types it uses), or else KubernetesClient's <see cref="KubernetesJson"/>.
/// </summary>
/// <remarks>
/// KubernetesJson's options resolve every model type of KubernetesClient, so a program that references it keeps the whole model
/// set after trimming. A program that always supplies its own options sets the feature switch
/// <see cref="KubernetesJsonFallbackSwitch"/> to false (<c>&lt;RuntimeHostConfigurationOption Include="..." Value="false"
/// Trim="true" /&gt;</c>): the trimmer then removes the KubernetesJson branch, and a client without options throws.
/// </remarks>
internal static class ClientJson
{
    /// <summary>The feature switch: true (the default) lets clients without serializer options fall back to KubernetesJson.</summary>
    public const string KubernetesJsonFallbackSwitch = "Kube.Core.Client.KubernetesJsonFallback";

    [FeatureSwitchDefinition(KubernetesJsonFallbackSwitch)]
    private static bool KubernetesJsonFallback => !AppContext.TryGetSwitch(KubernetesJsonFallbackSwitch, out var enabled) || enabled;

    public static string Serialize<T>(T value, JsonSerializerOptions? options)
    {
        if (options is not null) return JsonSerializer.Serialize(value, Info<T>(options));
        if (KubernetesJsonFallback) return KubernetesJson.Serialize(value);
        throw NoOptions(typeof(T));
    }

    /// <summary>Serializes <paramref name="value"/> as its run-time type.</summary>
    public static string SerializeObject(object value, JsonSerializerOptions? options)
    {
        if (options is not null) return JsonSerializer.Serialize(value, options.GetTypeInfo(value.GetType()));
        if (KubernetesJsonFallback) return KubernetesJson.Serialize(value);
        throw NoOptions(value.GetType());
    }

    public static T Deserialize<T>(string json, JsonSerializerOptions? options)
    {
        if (options is not null) return JsonSerializer.Deserialize(json, Info<T>(options))!;
        if (KubernetesJsonFallback) return KubernetesJson.Deserialize<T>(json);
        throw NoOptions(typeof(T));
    }

    private static JsonTypeInfo<T> Info<T>(JsonSerializerOptions options) => (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));

    private static NotSupportedException NoOptions(Type type) => new(
        $"HttpKubeClient has no SerializerOptions for {type.Name}, and the fallback to KubernetesJson is switched off ({KubernetesJsonFallbackSwitch}=false).");
}
