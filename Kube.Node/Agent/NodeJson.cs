using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using k8s.Models;

namespace Kube.Node.Agent;

/// <summary>
/// The node agent's JSON of API objects (<see cref="NodeJsonContext"/>): the serializer options its API client uses, deep copies,
/// and the comparison of two statuses by their JSON. No reflection, so the same code runs compiled ahead of time.
/// </summary>
internal static class NodeJson
{
    /// <summary>Options for <see cref="Kube.Core.Client.HttpKubeClientOptions.SerializerOptions"/>: the agent's types only.</summary>
    public static JsonSerializerOptions Options => NodeJsonContext.Default.Options;

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Info<T>());

    public static T Deserialize<T>(string json) => JsonSerializer.Deserialize(json, Info<T>())!;

    /// <summary>A deep copy through JSON (what the API would give back).</summary>
    public static T Clone<T>(T value) => Deserialize<T>(Serialize(value));

    /// <summary>A deep copy of <paramref name="value"/> as another model type with the same fields (an ephemeral container as a container).</summary>
    public static TTo Convert<TFrom, TTo>(TFrom value) => Deserialize<TTo>(Serialize(value));

    private static JsonTypeInfo<T> Info<T>() => (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T));
}
