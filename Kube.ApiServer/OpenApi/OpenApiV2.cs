using System.Text.Json.Nodes;
using Kube.ApiServer.Registry;

namespace Kube.ApiServer.OpenApi;

/// <summary>
/// <c>/openapi/v2</c>: one Swagger 2.0 document for every served group-version, converted from the generated v3
/// documents (<c>#/components/schemas/</c> become <c>#/definitions/</c>, request bodies become body parameters, and
/// what Swagger 2.0 cannot say, such as <c>anyOf</c>, <c>oneOf</c> and <c>nullable</c>, is dropped, as upstream does
/// when it publishes CRD schemas in v2). JSON only: a client that asks only for the protobuf form gets 406.
/// </summary>
internal static class OpenApiV2
{
    private static readonly HashSet<string> Dropped = new(StringComparer.Ordinal) { "anyOf", "oneOf", "not", "nullable" };

    public static JsonObject Build(IEnumerable<JsonObject> v3Documents)
    {
        var paths = new JsonObject();
        var definitions = new JsonObject();
        foreach (var doc in v3Documents)
        {
            foreach (var (name, schema) in Json.Obj(Json.Obj(doc, "components"), "schemas") ?? [])
            {
                if (!definitions.ContainsKey(name) && schema is JsonObject s) definitions[name] = Schema(s);
            }
            foreach (var (path, item) in Json.Obj(doc, "paths") ?? [])
            {
                if (item is not JsonObject pathItem || paths.ContainsKey(path)) continue;
                var converted = new JsonObject();
                foreach (var (method, op) in pathItem)
                {
                    converted[method] = method == "parameters" ? Parameters(op as JsonArray) : op is JsonObject o ? Operation(o) : null;
                }
                paths[path] = converted;
            }
        }
        return new JsonObject
        {
            ["swagger"] = "2.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "v1.32.0" },
            ["paths"] = paths,
            ["definitions"] = definitions,
            ["securityDefinitions"] = new JsonObject
            {
                ["BearerToken"] = new JsonObject { ["type"] = "apiKey", ["name"] = "authorization", ["in"] = "header", ["description"] = "Bearer Token authentication" },
            },
            ["security"] = new JsonArray(new JsonObject { ["BearerToken"] = new JsonArray() }),
        };
    }

    private static JsonObject Operation(JsonObject op)
    {
        var result = new JsonObject();
        foreach (var (k, v) in op)
        {
            switch (k)
            {
                case "parameters":
                    result[k] = Parameters(v as JsonArray);
                    break;
                case "requestBody":
                    var content = Json.Obj(v as JsonObject, "content");
                    if (content?.FirstOrDefault().Value is JsonObject media && Json.Obj(media, "schema") is { } bodySchema)
                    {
                        if (result["parameters"] is not JsonArray ps) result["parameters"] = ps = new JsonArray();
                        ps.Add(new JsonObject { ["name"] = "body", ["in"] = "body", ["required"] = true, ["schema"] = Schema(bodySchema) });
                        result["consumes"] = new JsonArray(content.Select(c => (JsonNode)c.Key).ToArray());
                    }
                    break;
                case "responses":
                    var responses = new JsonObject();
                    foreach (var (code, r) in v as JsonObject ?? [])
                    {
                        var response = new JsonObject { ["description"] = Json.Str(r as JsonObject, "description") ?? "" };
                        if (Json.Obj(r as JsonObject, "content")?.FirstOrDefault().Value is JsonObject m && Json.Obj(m, "schema") is { } rs)
                            response["schema"] = Schema(rs);
                        responses[code] = response;
                    }
                    result[k] = responses;
                    result["produces"] = new JsonArray("application/json", "application/yaml", "application/vnd.kubernetes.protobuf");
                    break;
                default:
                    result[k] = v?.DeepClone();
                    break;
            }
        }
        return result;
    }

    private static JsonArray Parameters(JsonArray? parameters)
    {
        var result = new JsonArray();
        foreach (var p in parameters?.OfType<JsonObject>() ?? [])
        {
            var q = new JsonObject();
            foreach (var (k, v) in p)
            {
                if (k == "schema" && v is JsonObject s)
                {
                    foreach (var (sk, sv) in s) q[sk] = sv?.DeepClone();
                }
                else
                {
                    q[k] = v?.DeepClone();
                }
            }
            result.Add(q);
        }
        return result;
    }

    /// <summary>A v3 schema as Swagger 2.0: references re-pointed, v3-only keywords dropped.</summary>
    private static JsonNode Schema(JsonNode node) => node switch
    {
        JsonObject o => new JsonObject(o.Where(kv => !Dropped.Contains(kv.Key)).Select(kv => KeyValuePair.Create(kv.Key,
            kv.Key == "$ref" && kv.Value is JsonValue r && r.TryGetValue<string>(out var s)
                ? (JsonNode?)s.Replace("#/components/schemas/", "#/definitions/", StringComparison.Ordinal)
                : kv.Value is null ? null : Schema(kv.Value)))),
        JsonArray a => new JsonArray(a.Select(e => e is null ? null : Schema(e)).ToArray()),
        _ => node.DeepClone(),
    };
}
