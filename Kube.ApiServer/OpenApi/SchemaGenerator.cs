using System.Collections;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Kube.ApiServer.Patch;

namespace Kube.ApiServer.OpenApi;

/// <summary>
/// OpenAPI v3 schemas generated from the model classes by reflection (JSON property names, lists, maps,
/// int-or-string, quantities), with the strategic-merge extensions (<c>x-kubernetes-patch-strategy</c>,
/// <c>x-kubernetes-patch-merge-key</c>) that client-side apply reads.
/// </summary>
internal sealed class SchemaGenerator(JsonObject schemas)
{
    private const string RefPrefix = "#/components/schemas/";
    private readonly Dictionary<Type, string> _names = [];

    public static string NameOf(Type t) => t.FullName ?? t.Name;

    /// <summary>Adds the schema of <paramref name="type"/> (and everything it references) under <paramref name="name"/>.</summary>
    public JsonObject AddRoot(Type type, string name)
    {
        _names[type] = name;
        var schema = ObjectSchema(type);
        schemas[name] = schema;
        return schema;
    }

    private JsonObject Ref(Type type)
    {
        if (!_names.TryGetValue(type, out var name))
        {
            name = NameOf(type);
            _names[type] = name;
            if (!schemas.ContainsKey(name))
            {
                schemas[name] = new JsonObject();
                schemas[name] = ObjectSchema(type);
            }
        }
        return new JsonObject { ["$ref"] = RefPrefix + name };
    }

    private JsonObject ObjectSchema(Type type)
    {
        var properties = new JsonObject();
        foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (p.GetCustomAttribute<JsonIgnoreAttribute>() is not null) continue;
            var jsonName = p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name;
            if (jsonName is null) continue;
            var schema = For(p.PropertyType);
            if (schema["type"]?.GetValue<string>() == "array")
            {
                if (jsonName == "ports" && type.Name == "V1ServiceSpec")
                {
                    schema["x-kubernetes-patch-strategy"] = "merge";
                    schema["x-kubernetes-patch-merge-key"] = "port";
                }
                else if (StrategicMergePatch.MergeKeys.TryGetValue(jsonName, out var key) && key.Length > 0 && IsObjectList(p.PropertyType))
                {
                    schema["x-kubernetes-patch-strategy"] = "merge";
                    schema["x-kubernetes-patch-merge-key"] = key;
                }
                else if (StrategicMergePatch.SetLists.Contains(jsonName))
                {
                    schema["x-kubernetes-patch-strategy"] = "merge";
                }
            }
            properties[jsonName] = schema;
        }
        return new JsonObject { ["type"] = "object", ["properties"] = properties };
    }

    private static bool IsObjectList(Type t)
    {
        var element = ElementType(t);
        return element is not null && element.IsClass && element != typeof(string);
    }

    private static Type? ElementType(Type t)
    {
        if (t.IsArray) return t.GetElementType();
        if (t.IsGenericType && typeof(IEnumerable).IsAssignableFrom(t)) return t.GetGenericArguments()[^1];
        return null;
    }

    private JsonObject For(Type t)
    {
        t = Nullable.GetUnderlyingType(t) ?? t;
        if (t == typeof(string)) return new JsonObject { ["type"] = "string" };
        if (t == typeof(bool)) return new JsonObject { ["type"] = "boolean" };
        if (t == typeof(int) || t == typeof(short)) return new JsonObject { ["type"] = "integer", ["format"] = "int32" };
        if (t == typeof(long)) return new JsonObject { ["type"] = "integer", ["format"] = "int64" };
        if (t == typeof(double) || t == typeof(float) || t == typeof(decimal)) return new JsonObject { ["type"] = "number", ["format"] = "double" };
        if (t == typeof(DateTime) || t == typeof(DateTimeOffset)) return new JsonObject { ["type"] = "string", ["format"] = "date-time" };
        if (t == typeof(byte[])) return new JsonObject { ["type"] = "string", ["format"] = "byte" };
        if (t == typeof(object)) return new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true };
        if (t.Name == "IntOrString") return new JsonObject { ["x-kubernetes-int-or-string"] = true, ["anyOf"] = new JsonArray(new JsonObject { ["type"] = "integer" }, new JsonObject { ["type"] = "string" }) };
        if (t.Name == "ResourceQuantity") return new JsonObject { ["type"] = "string" };
        if (t.IsEnum) return new JsonObject { ["type"] = "string" };
        if (t.IsGenericType && t.GetGenericArguments().Length == 2 && typeof(IEnumerable).IsAssignableFrom(t))
            return new JsonObject { ["type"] = "object", ["additionalProperties"] = For(t.GetGenericArguments()[1]) };
        if (ElementType(t) is { } element)
            return new JsonObject { ["type"] = "array", ["items"] = For(element) };
        if (t.IsClass) return Ref(t);
        return new JsonObject { ["type"] = "string" };
    }
}
