using System.Text.Json.Nodes;
using Kube.Core.Resources;

namespace Kube.ApiServer.OpenApi;

/// <summary>
/// A minimal OpenAPI v3: the index of group-versions and, per group-version, the resources' paths with their
/// operations (each carrying <c>x-kubernetes-group-version-kind</c> and the fieldValidation, dryRun and
/// fieldManager query parameters, which is what kubectl checks before it sends fieldValidation=Strict),
/// and an object schema per kind. Generated from the <see cref="ResourceTypeRegistry"/>.
/// </summary>
internal static class OpenApiDocuments
{
    private const string SchemaPrefix = "#/components/schemas/";

    public static string GroupVersionPath(string group, string version) => group.Length == 0 ? $"api/{version}" : $"apis/{group}/{version}";

    public static JsonObject? GroupVersion(ResourceTypeRegistry registry, string group, string version,
        Validation.CustomSchemas? customSchemas = null)
    {
        var types = registry.All.Where(t => t.Group == group && t.Version == version).OrderBy(t => t.Plural, StringComparer.Ordinal).ToList();
        if (types.Count == 0) return null;
        var paths = new JsonObject();
        var schemas = new JsonObject();
        var generator = new SchemaGenerator(schemas);
        var prefix = group.Length == 0 ? $"/api/{version}" : $"/apis/{group}/{version}";
        foreach (var t in types)
        {
            var schema = t.ClrType is not null
                ? generator.NameOf(t.ClrType, DefinitionNames.Package(t.Group, t.Version))
                : DefinitionNames.Custom(t.Group, t.Version, t.Kind);
            var listSchema = schema + "List";
            schemas[schema] = KindSchema(t, generator, schema, customSchemas?.Get(t.Group, t.Version, t.Plural));
            schemas[listSchema] = ListSchema(t, generator, schema);
            var collection = t.Namespaced ? $"{prefix}/namespaces/{{namespace}}/{t.Plural}" : $"{prefix}/{t.Plural}";
            var item = collection + "/{name}";
            var opBase = (group.Length == 0 ? "Core" : Pascal(group.Split('.')[0])) + Pascal(version);
            paths[collection] = new JsonObject
            {
                ["get"] = Operation(t, "list", $"list{opBase}{(t.Namespaced ? "Namespaced" : "")}{t.Kind}", listSchema, write: false),
                ["post"] = Operation(t, "post", $"create{opBase}{(t.Namespaced ? "Namespaced" : "")}{t.Kind}", schema, write: true, body: schema),
                ["delete"] = Operation(t, "deletecollection", $"deleteCollection{opBase}{(t.Namespaced ? "Namespaced" : "")}{t.Kind}", "io.k8s.apimachinery.pkg.apis.meta.v1.Status", write: false),
                ["parameters"] = PathParameters(t.Namespaced, named: false),
            };
            paths[item] = ItemPath(t, opBase, schema, "");
            foreach (var sub in t.Subresources.Where(s => s is "status" or "scale"))
            {
                var subSchema = sub == "scale" ? "io.k8s.api.autoscaling.v1.Scale" : schema;
                if (sub == "scale") schemas[subSchema] = new JsonObject
                {
                    ["type"] = "object",
                    ["x-kubernetes-group-version-kind"] = new JsonArray(new JsonObject { ["group"] = "autoscaling", ["kind"] = "Scale", ["version"] = "v1" }),
                };
                paths[$"{item}/{sub}"] = ItemPath(t, opBase, subSchema, Pascal(sub), sub == "scale" ? ("autoscaling", "v1", "Scale") : null);
            }
        }
        foreach (var (name, stub) in new[] { ("Status", "Status is a return value for calls that don't return other objects."),
                     ("Patch", "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body."),
                     ("DeleteOptions", "DeleteOptions may be provided when deleting an API object.") })
            schemas[$"{DefinitionNames.MetaPackage}.{name}"] ??= new JsonObject { ["description"] = stub, ["type"] = "object" };
        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "v1.32.0" },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = schemas },
        };
    }

    private static JsonObject ItemPath(ResourceType t, string opBase, string schema, string suffix, (string G, string V, string K)? gvk = null)
    {
        var ns = t.Namespaced ? "Namespaced" : "";
        return new JsonObject
        {
            ["get"] = Operation(t, "get", $"read{opBase}{ns}{t.Kind}{suffix}", schema, write: false, gvk: gvk),
            ["put"] = Operation(t, "put", $"replace{opBase}{ns}{t.Kind}{suffix}", schema, write: true, body: schema, gvk: gvk),
            ["patch"] = Operation(t, "patch", $"patch{opBase}{ns}{t.Kind}{suffix}", schema, write: true, body: "io.k8s.apimachinery.pkg.apis.meta.v1.Patch", patch: true, gvk: gvk),
            ["delete"] = suffix.Length == 0
                ? Operation(t, "delete", $"delete{opBase}{ns}{t.Kind}", "io.k8s.apimachinery.pkg.apis.meta.v1.Status", write: false)
                : null,
            ["parameters"] = PathParameters(t.Namespaced, named: true),
        }.RemoveNulls();
    }

    private static JsonObject RemoveNulls(this JsonObject o)
    {
        foreach (var k in o.Where(kv => kv.Value is null).Select(kv => kv.Key).ToList()) o.Remove(k);
        return o;
    }

    private static string Pascal(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

    private static JsonArray PathParameters(bool namespaced, bool named)
    {
        var a = new JsonArray();
        if (named) a.Add(Param("name", "path", required: true, "name of the resource"));
        if (namespaced) a.Add(Param("namespace", "path", required: true, "object name and auth scope, such as for teams and projects"));
        a.Add(Param("pretty", "query", required: false, "If 'true', then the output is pretty printed."));
        return a;
    }

    private static JsonObject Param(string name, string @in, bool required, string description) => new()
    {
        ["name"] = name,
        ["in"] = @in,
        ["description"] = description,
        ["required"] = required,
        ["schema"] = new JsonObject { ["type"] = "string", ["uniqueItems"] = true },
    };

    private static JsonObject Operation(ResourceType t, string action, string operationId, string responseSchema, bool write,
        string? body = null, bool patch = false, (string G, string V, string K)? gvk = null)
    {
        var parameters = new JsonArray();
        if (write)
        {
            parameters.Add(Param("dryRun", "query", false, "When present, indicates that modifications should not be persisted."));
            parameters.Add(Param("fieldManager", "query", false, "fieldManager is a name associated with the actor or entity that is making these changes."));
            parameters.Add(Param("fieldValidation", "query", false, "fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields: Ignore, Warn or Strict."));
            if (patch) parameters.Add(new JsonObject { ["name"] = "force", ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "boolean", ["uniqueItems"] = true } });
        }
        else if (action is "list" or "deletecollection")
        {
            foreach (var p in new[] { "labelSelector", "fieldSelector", "resourceVersion", "resourceVersionMatch", "continue", "limit", "timeoutSeconds", "watch", "allowWatchBookmarks", "sendInitialEvents" })
                parameters.Add(Param(p, "query", false, p));
        }
        var op = new JsonObject
        {
            ["tags"] = new JsonArray((t.Group.Length == 0 ? "core" : t.Group) + "_" + t.Version),
            ["description"] = $"{action} {t.Kind}",
            ["operationId"] = operationId,
            ["parameters"] = parameters,
            ["responses"] = new JsonObject
            {
                ["200"] = new JsonObject
                {
                    ["description"] = "OK",
                    ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = SchemaPrefix + responseSchema } } },
                },
                ["401"] = new JsonObject { ["description"] = "Unauthorized" },
            },
            ["x-kubernetes-action"] = action,
            ["x-kubernetes-group-version-kind"] = new JsonObject
            {
                ["group"] = gvk?.G ?? t.Group,
                ["version"] = gvk?.V ?? t.Version,
                ["kind"] = gvk?.K ?? t.Kind,
            },
        };
        if (body is not null)
        {
            var content = new JsonObject();
            var types = patch
                ? new[] { "application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json" }
                : ["*/*"];
            foreach (var ct in types) content[ct] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = SchemaPrefix + body } };
            op["requestBody"] = new JsonObject { ["content"] = content, ["required"] = true };
        }
        return op;
    }

    private static JsonObject Gvk(ResourceType t, string kind) =>
        new() { ["group"] = t.Group, ["kind"] = kind, ["version"] = t.Version };

    /// <summary>
    /// A kind's schema: generated from its model class, or, for a custom resource, its CRD's openAPIV3Schema with
    /// apiVersion, kind and metadata (ObjectMeta) added as upstream's apiextensions server does.
    /// </summary>
    private static JsonObject KindSchema(ResourceType t, SchemaGenerator generator, string name, JsonObject? crdSchema)
    {
        JsonObject schema;
        if (t.ClrType is not null)
        {
            schema = generator.AddRoot(t.ClrType, name);
        }
        else
        {
            schema = crdSchema?.DeepClone() as JsonObject ?? new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true };
            schema["type"] ??= "object";
            if (schema["properties"] is not JsonObject props) schema["properties"] = props = new JsonObject();
            props["apiVersion"] = new JsonObject
            {
                ["description"] = "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources",
                ["type"] = "string",
            };
            props["kind"] = new JsonObject
            {
                ["description"] = "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
                ["type"] = "string",
            };
            props["metadata"] = new JsonObject
            {
                ["description"] = "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
                ["allOf"] = new JsonArray(new JsonObject { ["$ref"] = SchemaPrefix + generator.NameOf(typeof(k8s.Models.V1ObjectMeta)) }),
            };
        }
        schema["x-kubernetes-group-version-kind"] = new JsonArray(Gvk(t, t.Kind));
        return schema;
    }

    private static JsonObject ListSchema(ResourceType t, SchemaGenerator generator, string itemSchema) => new()
    {
        ["description"] = $"{t.ListKind} is a list of {t.Kind}",
        ["type"] = "object",
        ["required"] = new JsonArray("items"),
        ["properties"] = new JsonObject
        {
            ["apiVersion"] = new JsonObject { ["type"] = "string" },
            ["items"] = new JsonObject
            {
                ["description"] = $"List of {t.Plural}.",
                ["type"] = "array",
                ["items"] = new JsonObject { ["$ref"] = SchemaPrefix + itemSchema },
            },
            ["kind"] = new JsonObject { ["type"] = "string" },
            ["metadata"] = new JsonObject
            {
                ["description"] = "Standard list metadata.",
                ["allOf"] = new JsonArray(new JsonObject { ["$ref"] = SchemaPrefix + generator.NameOf(typeof(k8s.Models.V1ListMeta)) }),
            },
        },
        ["x-kubernetes-group-version-kind"] = new JsonArray(Gvk(t, t.ListKind)),
    };
}
