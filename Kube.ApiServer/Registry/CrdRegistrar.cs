using System.Text.Json.Nodes;
using Kube.Core.Resources;
using Microsoft.Extensions.Logging;

namespace Kube.ApiServer.Registry;

/// <summary>
/// Serves custom resources: a CustomResourceDefinition that is created or updated registers its served versions in
/// the <see cref="ResourceTypeRegistry"/> (so discovery, OpenAPI and the generic registry serve them at once);
/// deleting it removes them. A model class the caller registered for the same resource is kept.
/// </summary>
internal sealed class CrdRegistrar(ResourceTypeRegistry types, Tables.CustomColumns columns, Validation.CustomSchemas schemas, ILogger logger)
{
    public static bool IsCrd(ResourceType t) => t.Group == "apiextensions.k8s.io" && t.Plural == "customresourcedefinitions";

    public void Apply(JsonObject crd)
    {
        var spec = Json.Obj(crd, "spec");
        var names = Json.Obj(spec, "names");
        var group = Json.Str(spec, "group");
        var kind = Json.Str(names, "kind");
        var plural = Json.Str(names, "plural");
        if (string.IsNullOrEmpty(group) || string.IsNullOrEmpty(kind) || string.IsNullOrEmpty(plural)) return;
        var namespaced = Json.Str(spec, "scope") != "Cluster";
        var served = new HashSet<string>();
        schemas.SetConversion(group, plural, Json.Obj(spec, "conversion"));
        schemas.SetStorageVersion(group, plural, Json.Arr(spec, "versions")?.OfType<JsonObject>()
            .FirstOrDefault(v => v["storage"] is JsonValue flag && flag.TryGetValue<bool>(out var b) && b) is { } storage ? Json.Str(storage, "name") : null);
        foreach (var v in Json.Arr(spec, "versions")?.OfType<JsonObject>() ?? [])
        {
            var version = Json.Str(v, "name");
            if (string.IsNullOrEmpty(version)) continue;
            if (v["served"] is JsonValue sv && sv.TryGetValue<bool>(out var isServed) && !isServed) continue;
            served.Add(version);
            var subresources = new List<string>();
            var sub = Json.Obj(v, "subresources") ?? Json.Obj(spec, "subresources");
            if (sub?["status"] is not null) subresources.Add("status");
            if (sub?["scale"] is not null) subresources.Add("scale");
            columns.Set(group, version, plural, Json.Arr(v, "additionalPrinterColumns")?.OfType<JsonObject>()
                .Where(c => !string.IsNullOrEmpty(Json.Str(c, "name")) && !string.IsNullOrEmpty(Json.Str(c, "jsonPath")))
                .Select(c => new Tables.CustomColumns.Column(Json.Str(c, "name")!, Json.Str(c, "type") ?? "string", Json.Str(c, "jsonPath")!,
                    (int)(Json.Long(c["priority"]) ?? 0), Json.Str(c, "description") ?? ""))
                .ToList());
            schemas.Set(group, version, plural, Json.Obj(Json.Obj(v, "schema"), "openAPIV3Schema")?.DeepClone() as JsonObject);
            schemas.SetScale(group, version, plural, Validation.CustomScale.From(Json.Obj(sub, "scale")));
            var existing = types.FindByResource(group, version, plural);
            types.Register(new ResourceType
            {
                Group = group,
                Version = version,
                Kind = kind,
                Plural = plural,
                Namespaced = namespaced,
                ClrType = existing?.ClrType,
                ShortNames = Json.Arr(names, "shortNames")?.Select(Json.Str).OfType<string>().ToList() ?? [],
                Categories = Json.Arr(names, "categories")?.Select(Json.Str).OfType<string>().ToList() ?? [],
                Subresources = subresources,
            });
        }
        // Versions no longer served go away.
        foreach (var t in types.All.Where(t => t.Group == group && t.Plural == plural && !served.Contains(t.Version)).ToList())
            types.Remove(t.Group, t.Version, t.Plural);
        logger.LogInformation("Serving custom resource {Plural}.{Group} versions {Versions}", plural, group, string.Join(",", served));
    }

    public void Remove(JsonObject crd)
    {
        var spec = Json.Obj(crd, "spec");
        var group = Json.Str(spec, "group");
        var plural = Json.Str(Json.Obj(spec, "names"), "plural");
        if (group is not null && plural is not null)
        {
            schemas.SetStorageVersion(group, plural, null);
            schemas.SetConversion(group, plural, null);
        }
        foreach (var t in types.All.Where(t => t.Group == group && t.Plural == plural).ToList())
        {
            columns.Set(t.Group, t.Version, t.Plural, null);
            schemas.Set(t.Group, t.Version, t.Plural, null);
            schemas.SetScale(t.Group, t.Version, t.Plural, null);
            types.Remove(t.Group, t.Version, t.Plural);
        }
    }

    /// <summary>The status an API server gives an accepted CRD: names accepted, established.</summary>
    public static JsonObject AcceptedStatus(JsonObject crd, string now) => new()
    {
        ["conditions"] = new JsonArray(
            new JsonObject { ["type"] = "NamesAccepted", ["status"] = "True", ["reason"] = "NoConflicts", ["message"] = "no conflicts found", ["lastTransitionTime"] = now },
            new JsonObject { ["type"] = "Established", ["status"] = "True", ["reason"] = "InitialNamesAccepted", ["message"] = "the initial names have been accepted", ["lastTransitionTime"] = now }),
        ["acceptedNames"] = Json.Obj(Json.Obj(crd, "spec"), "names")?.DeepClone(),
        ["storedVersions"] = new JsonArray(Json.Arr(Json.Obj(crd, "spec"), "versions")?.OfType<JsonObject>()
            .Where(v => v["storage"] is JsonValue s && s.TryGetValue<bool>(out var b) && b)
            .Select(v => (JsonNode?)Json.Str(v, "name")).ToArray() ?? []),
    };
}
