using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Kube.Node.Agent;

/// <summary>
/// Source-generated JSON for the KubernetesClient model types the node agent reads and writes: the objects it gets, watches,
/// creates and updates through the API (pods, its Node and Lease, the ConfigMaps, Secrets, claims and volumes pods use, events,
/// SubjectAccessReviews) and the ones it copies. Same JSON as KubernetesClient's <c>KubernetesJson</c>: camelCase names (the
/// models' own <c>JsonPropertyName</c>s), nulls omitted, enums as strings, its time and date converters, and the models' own
/// converters (IntOrString, ResourceQuantity). Only these types' metadata is compiled in, so kube-node (NativeAOT) does not keep
/// KubernetesClient's whole model.
/// </summary>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    Converters = [
        typeof(KubernetesJson.Iso8601TimeSpanConverter),
        typeof(KubernetesJson.KubernetesDateTimeConverter),
        typeof(KubernetesJson.KubernetesDateTimeOffsetConverter),
        typeof(V1Status.V1StatusObjectViewConverter),
    ])]
[JsonSerializable(typeof(V1Pod))]
[JsonSerializable(typeof(V1PodStatus))]
[JsonSerializable(typeof(V1Container))]
[JsonSerializable(typeof(V1EphemeralContainer))]
[JsonSerializable(typeof(V1Node))]
[JsonSerializable(typeof(V1Lease))]
[JsonSerializable(typeof(V1Namespace))]
[JsonSerializable(typeof(V1Service))]
[JsonSerializable(typeof(V1ConfigMap))]
[JsonSerializable(typeof(V1Secret))]
[JsonSerializable(typeof(V1PersistentVolumeClaim))]
[JsonSerializable(typeof(V1PersistentVolume))]
[JsonSerializable(typeof(Eventsv1Event))]
[JsonSerializable(typeof(V1Status))]
[JsonSerializable(typeof(V1DeleteOptions))]
[JsonSerializable(typeof(V1SubjectAccessReview))]
[JsonSerializable(typeof(Authenticationv1TokenRequest))]
// Object-typed model fields (managedFields' fieldsV1, raw extensions) hold the JsonElement they were read as.
[JsonSerializable(typeof(System.Text.Json.JsonElement))]
// The runtimes' small string maps (the process runtime's pod IPs, the CRI sandbox's environment annotation); dictionary keys
// and values are written as they are (no naming policy applies to them).
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(SortedDictionary<string, string>))]
internal sealed partial class NodeJsonContext : JsonSerializerContext;
