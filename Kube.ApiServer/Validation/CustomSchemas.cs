using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using k8s.Models;
using Kube.ApiServer.Registry;

namespace Kube.ApiServer.Validation;

/// <summary>
/// Custom resources' structural schemas (a CRD version's openAPIV3Schema): defaults are applied, unknown fields are
/// pruned (or reported under fieldValidation Strict/Warn) unless <c>x-kubernetes-preserve-unknown-fields</c>, and
/// values of the wrong type are 422 Invalid.
/// </summary>
internal sealed class CustomSchemas
{
    private readonly ConcurrentDictionary<(string Group, string Version, string Plural), JsonObject> _schemas = new();

    public void Set(string group, string version, string plural, JsonObject? schema)
    {
        if (schema is null) _schemas.TryRemove((group, version, plural), out _);
        else _schemas[(group, version, plural)] = schema;
    }

    public JsonObject? Get(string group, string version, string plural) =>
        _schemas.TryGetValue((group, version, plural), out var s) ? s : null;

    /// <summary>Applies defaults and prunes unknown fields in place; returns the unknown field paths and type errors.</summary>
    public static (List<string> Unknown, List<V1StatusCause> Invalid) Apply(JsonObject obj, JsonObject schema, bool prune)
    {
        var unknown = new List<string>();
        var invalid = new List<V1StatusCause>();
        Walk(obj, schema, "", unknown, invalid, prune, root: true);
        return (unknown, invalid);
    }

    private static bool Preserve(JsonObject schema) =>
        schema["x-kubernetes-preserve-unknown-fields"] is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    private static void Walk(JsonNode? node, JsonObject schema, string path, List<string> unknown, List<V1StatusCause> invalid, bool prune, bool root = false)
    {
        var type = Json.Str(schema, "type");
        if (schema["x-kubernetes-int-or-string"] is JsonValue ios && ios.TryGetValue<bool>(out var isIos) && isIos) return;
        switch (node)
        {
            case JsonObject o:
            {
                if (type is not (null or "object"))
                {
                    invalid.Add(TypeError(path, type, "object"));
                    return;
                }
                var props = Json.Obj(schema, "properties");
                if (props is not null)
                {
                    foreach (var (k, ps) in props)
                    {
                        if (!o.ContainsKey(k) && ps is JsonObject pso && pso["default"] is { } d) o[k] = d.DeepClone();
                    }
                }
                var additional = schema["additionalProperties"];
                foreach (var key in o.Select(kv => kv.Key).ToList())
                {
                    if (root && key is "apiVersion" or "kind" or "metadata") continue;
                    var childPath = path.Length == 0 ? key : $"{path}.{key}";
                    if (props?[key] is JsonObject childSchema) Walk(o[key], childSchema, childPath, unknown, invalid, prune);
                    else if (additional is JsonObject addSchema) Walk(o[key], addSchema, childPath, unknown, invalid, prune);
                    else if (Preserve(schema) || additional is JsonValue av && av.TryGetValue<bool>(out var ab) && ab) continue;
                    else
                    {
                        unknown.Add(childPath);
                        if (prune) o.Remove(key);
                    }
                }
                break;
            }
            case JsonArray a:
                if (type is not (null or "array"))
                {
                    invalid.Add(TypeError(path, type, "array"));
                    return;
                }
                if (Json.Obj(schema, "items") is { } items)
                {
                    for (var i = 0; i < a.Count; i++) Walk(a[i], items, $"{path}[{i}]", unknown, invalid, prune);
                }
                break;
            case JsonValue v:
            {
                var actual = v.GetValueKind() switch
                {
                    System.Text.Json.JsonValueKind.String => "string",
                    System.Text.Json.JsonValueKind.Number => v.TryGetValue<long>(out _) || (v.TryGetValue<double>(out var dv) && dv == Math.Floor(dv)) ? "integer" : "number",
                    System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False => "boolean",
                    _ => "null",
                };
                var ok = type switch
                {
                    null => true,
                    "number" => actual is "number" or "integer",
                    _ => actual == type,
                };
                if (!ok) invalid.Add(TypeError(path, type!, actual, v.ToJsonString()));
                break;
            }
        }
    }

    private static V1StatusCause TypeError(string path, string? expected, string actual, string? value = null) => new()
    {
        Reason = "FieldValueTypeInvalid",
        Field = path,
        Message = $"Invalid value: \"{actual}\": {path} in body must be of type {expected}: \"{value ?? actual}\"",
    };
}
