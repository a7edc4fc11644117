using System.Text.Json.Nodes;
using k8s.Models;
using Kube.ApiServer.Registry;

namespace Kube.ApiServer.Validation;

/// <summary>
/// The rules a CRD version's openAPIV3Schema must follow to be structural, with upstream's field paths
/// (<c>spec.versions[0].schema.openAPIV3Schema.properties[spec].type</c>) and messages; defaults must validate
/// against their schema and survive pruning unchanged. x-kubernetes-validations rules go to <see cref="Cel.CelRules"/>
/// and are refused when they use CEL outside the supported subset.
/// </summary>
internal static class CrdSchemaRules
{
    private const int MaxDepth = 64;
    private static readonly string[] Unsupported = ["$ref", "definitions", "patternProperties", "dependencies", "additionalItems", "id", "$schema"];
    private static readonly string[] NotInValueValidation =
        ["type", "default", "nullable", "additionalProperties", "x-kubernetes-preserve-unknown-fields", "x-kubernetes-embedded-resource",
         "x-kubernetes-int-or-string", "x-kubernetes-list-type", "x-kubernetes-list-map-keys", "x-kubernetes-map-type", "x-kubernetes-validations",
         "description", "title"];

    public static void Root(JsonObject schema, string p, bool statusEnabled, List<V1StatusCause> causes, SchemaValidator validator)
    {
        var type = Json.Str(schema, "type");
        if (string.IsNullOrEmpty(type)) causes.Add(SchemaValidator.Required($"{p}.type", "must not be empty at the root"));
        else if (type != "object")
            causes.Add(CrdValidator.Invalid($"{p}.type", type, statusEnabled
                ? "only \"object\" is allowed as the type at the root of the schema if the status subresource is enabled"
                : "must be object at the root"));
        if (SchemaValidator.Bool(schema, "nullable")) causes.Add(Forbidden($"{p}.nullable", "nullable cannot be true at the root"));
        if (schema["additionalProperties"] is not null) causes.Add(Forbidden($"{p}.additionalProperties", "must not be used at the root"));
        if (SchemaValidator.Bool(schema, "x-kubernetes-embedded-resource"))
            causes.Add(CrdValidator.Invalid($"{p}.x-kubernetes-embedded-resource", "true", "must be false at the root", quote: false));
        if (SchemaValidator.Bool(schema, "x-kubernetes-int-or-string"))
            causes.Add(CrdValidator.Invalid($"{p}.x-kubernetes-int-or-string", "true", "must be false at the root", quote: false));
        var total = new Cel.CelCostTotal();
        Node(schema, p, causes, validator, new Context(Root: true, InsideMeta: false, DefaultsForbidden: null, Cardinality: 1, Total: total), depth: 0);
        total.Check(p, causes);
    }

    /// <param name="Cardinality">How many times a rule here can run per object: the product of the enclosing lists' and maps' sizes.</param>
    private sealed record Context(bool Root, bool InsideMeta, string? DefaultsForbidden, double Cardinality, Cel.CelCostTotal Total);

    private static void Node(JsonObject s, string p, List<V1StatusCause> causes, SchemaValidator validator, Context ctx, int depth)
    {
        if (depth > MaxDepth)
        {
            causes.Add(Forbidden(p, $"must not be nested more than {MaxDepth} levels deep"));
            return;
        }
        foreach (var key in Unsupported.Where(s.ContainsKey))
            causes.Add(Forbidden($"{p}.{key}", $"{key} is not supported"));
        if (SchemaValidator.Bool(s, "uniqueItems"))
            causes.Add(Forbidden($"{p}.uniqueItems", "uniqueItems cannot be set to true since the runtime complexity becomes quadratic"));

        var type = Json.Str(s, "type");
        var ios = SchemaValidator.Bool(s, "x-kubernetes-int-or-string");
        var preserve = SchemaValidator.Bool(s, "x-kubernetes-preserve-unknown-fields");
        var embedded = SchemaValidator.Bool(s, "x-kubernetes-embedded-resource");
        if (type is not null && !CrdValidator.IsType(type)) causes.Add(Errors.NotSupported($"{p}.type", type, CrdValidator.AllTypes));
        if (ios && !string.IsNullOrEmpty(type)) causes.Add(CrdValidator.Invalid($"{p}.type", type, "must be empty if x-kubernetes-int-or-string is true"));
        if (s["x-kubernetes-preserve-unknown-fields"] is JsonValue pv && pv.TryGetValue<bool>(out var pb) && !pb)
            causes.Add(CrdValidator.Invalid($"{p}.x-kubernetes-preserve-unknown-fields", "false", "must be true or undefined", quote: false));
        if (embedded)
        {
            if (type != "object") causes.Add(type is null
                ? SchemaValidator.Required($"{p}.type", "must be object if x-kubernetes-embedded-resource is true")
                : CrdValidator.Invalid($"{p}.type", type, "must be object if x-kubernetes-embedded-resource is true"));
            if (Json.Obj(s, "properties") is not { Count: > 0 } && !preserve)
                causes.Add(SchemaValidator.Required($"{p}.properties", "must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields"));
        }
        if (Json.Str(s, "pattern") is { } pattern && validator.Pattern(pattern).Error is { } regexError)
            causes.Add(CrdValidator.Invalid($"{p}.pattern", pattern, $"must be a valid regular expression, but isn't: {regexError}"));

        var props = Json.Obj(s, "properties");
        switch (s["additionalProperties"])
        {
            case JsonValue av when av.TryGetValue<bool>(out var allows) && !allows:
                causes.Add(Forbidden($"{p}.additionalProperties", "additionalProperties cannot be set to false"));
                break;
            case JsonObject additional:
                if (props is { Count: > 0 }) causes.Add(Forbidden($"{p}.additionalProperties", "additionalProperties and properties are mutual exclusive"));
                Child(additional, $"{p}.additionalProperties", "must not be empty for specified object fields", causes, validator,
                    ctx with
                    {
                        Root = false, DefaultsForbidden = ctx.InsideMeta ? "inside additionalProperties applying to object metadata" : ctx.DefaultsForbidden,
                        Cardinality = ctx.Cardinality * Cel.CelCost.MaxSize(s),
                    }, depth);
                break;
        }
        if (props is not null)
        {
            foreach (var (name, child) in props)
            {
                var cp = $"{p}.properties[{name}]";
                if (child is not JsonObject cs)
                {
                    causes.Add(CrdValidator.Invalid(cp, child?.ToJsonString() ?? "null", "must be a schema object", quote: false));
                    continue;
                }
                var meta = (ctx.Root || embedded) && name is "metadata" or "apiVersion" or "kind";
                if (meta) MetaField(cs, cp, name, causes);
                Child(cs, cp, "must not be empty for specified object fields", causes, validator,
                    new Context(false, meta || ctx.InsideMeta, meta && ctx.Root ? $"in top-level {name}" : ctx.DefaultsForbidden, ctx.Cardinality, ctx.Total), depth);
            }
        }
        if (type == "array" && s["items"] is null) causes.Add(SchemaValidator.Required($"{p}.items", "must be specified"));
        switch (s["items"])
        {
            case JsonArray:
                causes.Add(Forbidden($"{p}.items", "items must be a schema object and not an array"));
                break;
            case JsonObject items:
                Child(items, $"{p}.items", "must not be empty for specified array items", causes, validator,
                    ctx with { Root = false, Cardinality = ctx.Cardinality * Cel.CelCost.MaxSize(s) }, depth);
                break;
        }
        foreach (var combinator in new[] { "allOf", "anyOf", "oneOf" })
        {
            if (Json.Arr(s, combinator) is { } list)
            {
                for (var i = 0; i < list.Count; i++)
                {
                    // x-kubernetes-int-or-string may say anyOf/allOf [{type: integer}, {type: string}] (what controller-gen writes).
                    if (list[i] is JsonObject sub)
                        ValueValidation(sub, $"{p}.{combinator}[{i}]", causes, validator, depth + 1, intOrString: ios && combinator != "oneOf");
                }
            }
        }
        if (s["not"] is JsonObject not) ValueValidation(not, $"{p}.not", causes, validator, depth + 1);
        ListAndMapTypes(s, p, type, causes);

        if (s["default"] is { } def)
        {
            if (ctx.DefaultsForbidden is { } why) causes.Add(Forbidden($"{p}.default", $"must not be set {why}"));
            else Default(def, s, $"{p}.default", causes, validator);
        }
        if (Json.Arr(s, "x-kubernetes-validations") is { Count: > 0 } rules)
            Cel.CelRules.CheckDefinitions(rules, s, $"{p}.x-kubernetes-validations", causes, ctx.Root, (path, cost) => ctx.Total.Add(path, cost * ctx.Cardinality));
    }

    private static void Child(JsonObject child, string cp, string missingType, List<V1StatusCause> causes, SchemaValidator validator, Context ctx, int depth)
    {
        if (string.IsNullOrEmpty(Json.Str(child, "type")) && !SchemaValidator.Bool(child, "x-kubernetes-int-or-string")
            && !SchemaValidator.Bool(child, "x-kubernetes-preserve-unknown-fields") && !SchemaValidator.Bool(child, "x-kubernetes-embedded-resource"))
            causes.Add(SchemaValidator.Required($"{cp}.type", missingType));
        Node(child, cp, causes, validator, ctx, depth + 1);
    }

    /// <summary>At the root (and in embedded resources) metadata may restrict only name and generateName; apiVersion and kind are strings.</summary>
    private static void MetaField(JsonObject s, string p, string name, List<V1StatusCause> causes)
    {
        if (name is "apiVersion" or "kind")
        {
            if (Json.Str(s, "type") is { } t && t != "string") causes.Add(CrdValidator.Invalid($"{p}.type", t, "must be string"));
            return;
        }
        if (Json.Str(s, "type") is { } mt && mt != "object") causes.Add(CrdValidator.Invalid($"{p}.type", mt, "must be object"));
        var onlyNames = s.All(kv => kv.Key is "type" or "description" or "title"
            || kv.Key == "properties" && kv.Value is JsonObject mp && mp.All(f => f.Key is "name" or "generateName"));
        if (!onlyNames)
            causes.Add(Forbidden(p, "must not specify anything other than name and generateName, but metadata is implicitly specified"));
        if (Json.Obj(s, "properties") is { } metaProps)
        {
            foreach (var (f, fs) in metaProps)
            {
                if (fs is JsonObject fo && Json.Str(fo, "type") is { } ft && ft != "string")
                    causes.Add(CrdValidator.Invalid($"{p}.properties[{f}].type", ft, "must be string"));
            }
        }
    }

    /// <summary>Inside allOf/anyOf/oneOf/not only value validations are allowed (no types, defaults or extensions).</summary>
    private static void ValueValidation(JsonObject s, string p, List<V1StatusCause> causes, SchemaValidator validator, int depth, bool intOrString = false)
    {
        if (depth > MaxDepth) return;
        foreach (var key in NotInValueValidation.Where(k => s.ContainsKey(k) && !(intOrString && k == "type" && Json.Str(s, "type") is "integer" or "string")))
            causes.Add(Forbidden($"{p}.{key}", "must be empty to be structural"));
        foreach (var key in Unsupported.Where(s.ContainsKey))
            causes.Add(Forbidden($"{p}.{key}", $"{key} is not supported"));
        if (Json.Str(s, "pattern") is { } pattern && validator.Pattern(pattern).Error is { } regexError)
            causes.Add(CrdValidator.Invalid($"{p}.pattern", pattern, $"must be a valid regular expression, but isn't: {regexError}"));
        if (Json.Obj(s, "properties") is { } props)
        {
            foreach (var (name, child) in props)
            {
                if (child is JsonObject c) ValueValidation(c, $"{p}.properties[{name}]", causes, validator, depth + 1);
            }
        }
        if (s["items"] is JsonObject items) ValueValidation(items, $"{p}.items", causes, validator, depth + 1);
        foreach (var combinator in new[] { "allOf", "anyOf", "oneOf" })
        {
            if (Json.Arr(s, combinator) is { } list)
            {
                for (var i = 0; i < list.Count; i++)
                {
                    if (list[i] is JsonObject sub) ValueValidation(sub, $"{p}.{combinator}[{i}]", causes, validator, depth + 1);
                }
            }
        }
        if (s["not"] is JsonObject not) ValueValidation(not, $"{p}.not", causes, validator, depth + 1);
    }

    private static void ListAndMapTypes(JsonObject s, string p, string? type, List<V1StatusCause> causes)
    {
        if (Json.Str(s, "x-kubernetes-map-type") is { } mapType)
        {
            if (type != "object") causes.Add(type is null
                ? SchemaValidator.Required($"{p}.type", "must be object if x-kubernetes-map-type is specified")
                : CrdValidator.Invalid($"{p}.type", type, "must be object if x-kubernetes-map-type is specified"));
            if (mapType is not ("atomic" or "granular")) causes.Add(Errors.NotSupported($"{p}.x-kubernetes-map-type", mapType, ["atomic", "granular"]));
        }
        var listType = Json.Str(s, "x-kubernetes-list-type");
        if (listType is not null)
        {
            if (type != "array") causes.Add(type is null
                ? SchemaValidator.Required($"{p}.type", "must be array if x-kubernetes-list-type is specified")
                : CrdValidator.Invalid($"{p}.type", type, "must be array if x-kubernetes-list-type is specified"));
            if (listType is not ("atomic" or "set" or "map")) causes.Add(Errors.NotSupported($"{p}.x-kubernetes-list-type", listType, ["atomic", "set", "map"]));
        }
        var keys = Json.Arr(s, "x-kubernetes-list-map-keys")?.Select(Json.Str).OfType<string>().ToList() ?? [];
        var keysText = "[" + string.Join(",", keys.Select(SchemaValidator.Quote)) + "]";
        if (keys.Count > 0 && listType != "map")
            causes.Add(listType is null
                ? SchemaValidator.Required($"{p}.x-kubernetes-list-type", "must be map if x-kubernetes-list-map-keys is non-empty")
                : CrdValidator.Invalid($"{p}.x-kubernetes-list-type", listType, "must be map if x-kubernetes-list-map-keys is non-empty"));
        var items = Json.Obj(s, "items");
        if (listType == "set" && items is not null)
        {
            var it = Json.Str(items, "type");
            if (it == "array" && Json.Str(items, "x-kubernetes-list-type") is { } inner && inner != "atomic")
                causes.Add(CrdValidator.Invalid($"{p}.items.x-kubernetes-list-type", inner, "must be atomic as item of a list with x-kubernetes-list-type=set"));
            if (it == "object" && Json.Str(items, "x-kubernetes-map-type") != "atomic")
                causes.Add(CrdValidator.Invalid($"{p}.items.x-kubernetes-map-type", Json.Str(items, "x-kubernetes-map-type") ?? "", "must be atomic as item of a list with x-kubernetes-list-type=set"));
        }
        if (listType != "map") return;
        if (keys.Count == 0) causes.Add(SchemaValidator.Required($"{p}.x-kubernetes-list-map-keys", "must not be empty if x-kubernetes-list-type is map"));
        if (items is null)
        {
            causes.Add(SchemaValidator.Required($"{p}.items", "must have a schema if x-kubernetes-list-type is map"));
            return;
        }
        var itemType = Json.Str(items, "type");
        if (itemType != "object")
        {
            causes.Add(CrdValidator.Invalid($"{p}.items.type", itemType ?? "", "must be object if parent array's x-kubernetes-list-type is map"));
            return;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var itemProps = Json.Obj(items, "properties");
        var required = Json.Arr(items, "required")?.Select(Json.Str).ToHashSet() ?? [];
        foreach (var k in keys)
        {
            if (itemProps?[k] is JsonObject ks)
            {
                if (Json.Str(ks, "type") is "array" or "object")
                    causes.Add(CrdValidator.Invalid($"{p}.items.properties[{k}].type", Json.Str(ks, "type")!, "must be a scalar type if parent array's x-kubernetes-list-type is map"));
                if (SchemaValidator.Bool(ks, "nullable"))
                    causes.Add(Forbidden($"{p}.items.properties[{k}].nullable", "this property is in x-kubernetes-list-map-keys, so it cannot be nullable"));
                if (!required.Contains(k) && ks["default"] is null)
                    causes.Add(SchemaValidator.Required($"{p}.items.properties[{k}]", "this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property"));
            }
            else causes.Add(CrdValidator.Invalid($"{p}.x-kubernetes-list-map-keys", keysText, "entries must all be names of item properties", quote: false));
            if (!seen.Add(k)) causes.Add(CrdValidator.Invalid($"{p}.x-kubernetes-list-map-keys", keysText, "must not contain duplicate entries", quote: false));
        }
    }

    /// <summary>A default must be valid for its schema and must not change when pruned (no unknown fields).</summary>
    private static void Default(JsonNode def, JsonObject s, string p, List<V1StatusCause> causes, SchemaValidator validator)
    {
        var found = new List<V1StatusCause>();
        validator.Validate(def.DeepClone(), s, "", found);
        foreach (var c in found)
        {
            c.Field = string.IsNullOrEmpty(c.Field) ? p : $"{p}.{c.Field}";
            causes.Add(c);
        }
        if (def is JsonObject or JsonArray)
        {
            var wrapper = new JsonObject { ["v"] = def.DeepClone() };
            var schema = new JsonObject { ["type"] = "object", ["properties"] = new JsonObject { ["v"] = s.DeepClone() } };
            var (unknown, _) = CustomSchemas.Apply(wrapper, schema, prune: true);
            if (unknown.Count > 0)
                causes.Add(CrdValidator.Invalid(p, def.ToJsonString(), "must not have unknown fields: " + string.Join(", ", unknown.Select(u => u.Length > 2 ? u[2..] : u)), quote: false));
        }
    }

    internal static V1StatusCause Forbidden(string field, string detail) =>
        new() { Reason = "FieldValueForbidden", Field = field, Message = $"Forbidden: {detail}" };
}
