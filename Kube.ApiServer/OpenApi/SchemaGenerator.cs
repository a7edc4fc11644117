using System.Collections;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Kube.ApiServer.Patch;

namespace Kube.ApiServer.OpenApi;

/// <summary>
/// OpenAPI v3 schemas generated from the model classes by reflection: upstream's definition names
/// (<see cref="DefinitionNames"/>), the descriptions of the classes' XML documentation (<see cref="ModelDocs"/>), JSON
/// property names, lists, maps, int-or-string and quantities, and the strategic-merge extensions
/// (<c>x-kubernetes-patch-strategy</c>, <c>x-kubernetes-patch-merge-key</c>) that client-side apply reads. A property
/// that refers to another class is <c>allOf: [$ref]</c> beside its description, as upstream writes it.
/// </summary>
internal sealed class SchemaGenerator(JsonObject schemas)
{
    private const string RefPrefix = "#/components/schemas/";
    private readonly Dictionary<Type, string> _names = [];

    /// <summary>Adds the schema of <paramref name="type"/> (and everything it references) under <paramref name="name"/>.</summary>
    public JsonObject AddRoot(Type type, string name)
    {
        _names[type] = name;
        var schema = ObjectSchema(type, DefinitionNames.PackageOf(name));
        schemas[name] = schema;
        return schema;
    }

    /// <summary>The definition name of a class already added or referenced.</summary>
    public string NameOf(Type type, string? referrerPackage = null)
    {
        if (_names.TryGetValue(type, out var name)) return name;
        name = DefinitionNames.Of(type, referrerPackage);
        _names[type] = name;
        if (!schemas.ContainsKey(name))
        {
            schemas[name] = new JsonObject();
            schemas[name] = ObjectSchema(type, DefinitionNames.PackageOf(name));
        }
        return name;
    }

    private JsonObject ObjectSchema(Type type, string package)
    {
        if (type.Name == "ResourceQuantity")
            return Described(new JsonObject { ["type"] = "string" }, ModelDocs.Type(type));
        var properties = new JsonObject();
        foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (p.GetCustomAttribute<JsonIgnoreAttribute>() is not null) continue;
            var jsonName = p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name;
            if (jsonName is null) continue;
            var schema = For(p.PropertyType, package);
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
            if (schema["$ref"] is { } reference)
            {
                schema.Remove("$ref");
                schema["allOf"] = new JsonArray(new JsonObject { ["$ref"] = reference.GetValue<string>() });
            }
            properties[jsonName] = Described(schema, ModelDocs.Property(p));
        }
        return Described(new JsonObject { ["type"] = "object", ["properties"] = properties }, ModelDocs.Type(type));
    }

    private static JsonObject Described(JsonObject schema, string? description)
    {
        if (string.IsNullOrEmpty(description)) return schema;
        var described = new JsonObject { ["description"] = description };
        foreach (var (k, v) in schema.ToList())
        {
            schema.Remove(k);
            described[k] = v;
        }
        return described;
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

    private JsonObject For(Type t, string package)
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
        if (t.Name == "IntOrString")
        {
            var name = DefinitionNames.Of(t, package);
            schemas[name] ??= new JsonObject
            {
                ["description"] = "IntOrString is a type that can hold an int32 or a string.",
                ["type"] = "string",
                ["format"] = "int-or-string",
                ["x-kubernetes-int-or-string"] = true,
            };
            return new JsonObject { ["$ref"] = RefPrefix + name };
        }
        if (t.IsEnum) return new JsonObject { ["type"] = "string" };
        if (t.IsGenericType && t.GetGenericArguments().Length == 2 && typeof(IEnumerable).IsAssignableFrom(t))
            return new JsonObject { ["type"] = "object", ["additionalProperties"] = For(t.GetGenericArguments()[1], package) };
        if (ElementType(t) is { } element)
            return new JsonObject { ["type"] = "array", ["items"] = For(element, package) };
        if (t.IsClass) return new JsonObject { ["$ref"] = RefPrefix + NameOf(t, package) };
        return new JsonObject { ["type"] = "string" };
    }
}
