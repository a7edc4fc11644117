using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using k8s.Models;
using Kube.ApiServer.Registry;

namespace Kube.ApiServer.Validation;

/// <summary>
/// OpenAPI v3 value validation of a custom object against its CRD version's structural schema, as
/// apiextensions-apiserver does it (kube-openapi's validator, then list-type and embedded-resource checks). Every
/// failure becomes one <see cref="V1StatusCause"/> with upstream's field path, reason and message, e.g.
/// <c>spec.replicas: Invalid value: 20: spec.replicas in body should be less than or equal to 10</c>.
/// On update, a value equal to the old one is not validated again (upstream's CRD validation ratcheting).
/// </summary>
internal sealed class SchemaValidator
{
    private const int MaxDepth = 128;
    private static readonly JsonSerializerOptions QuoteOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly ConcurrentDictionary<string, (Regex? Regex, string? Error)> _patterns = new(StringComparer.Ordinal);

    private readonly Cel.CelRules _rules;

    public SchemaValidator() => _rules = new Cel.CelRules(this);

    /// <summary>An RE2 pattern compiled once, or the reason it is not one.</summary>
    public (Regex? Regex, string? Error) Pattern(string pattern) =>
        _patterns.GetOrAdd(pattern, static p => (GoRegex.TryCompile(p, out var e), e));

    /// <summary>Validates a whole custom object (apiVersion/kind skipped, metadata only for name and generateName).</summary>
    public List<V1StatusCause> ValidateObject(JsonObject obj, JsonObject schema, JsonObject? old)
    {
        var causes = new List<V1StatusCause>();
        Node(obj, schema, "", causes, old, old is not null, root: true, depth: 0);
        return causes;
    }

    /// <summary>Validates one value against one schema node (used for defaults too).</summary>
    public void Validate(JsonNode? value, JsonObject schema, string path, List<V1StatusCause> causes) =>
        Node(value, schema, path, causes, null, false, root: false, depth: 0);

    private void Node(JsonNode? node, JsonObject s, string path, List<V1StatusCause> causes, JsonNode? old, bool hasOld, bool root, int depth)
    {
        if (depth > MaxDepth) return;
        if (hasOld && JsonEquals(node, old)) return; // ratcheting: an unchanged value stays accepted
        var type = Json.Str(s, "type");
        var actual = KindOf(node);
        if (node is null)
        {
            if (Bool(s, "nullable") || (type is null && !Bool(s, "x-kubernetes-int-or-string"))) return;
            causes.Add(TypeInvalid(path, "null", $"{Body(path)} must be of type {(Bool(s, "x-kubernetes-int-or-string") ? "integer,string" : type ?? "object")}: \"null\""));
            return;
        }
        if (Bool(s, "x-kubernetes-int-or-string"))
        {
            if (actual is not ("integer" or "string"))
            {
                causes.Add(TypeInvalid(path, actual, $"{Body(path)} must be of type integer,string: \"{actual}\""));
                return;
            }
        }
        else if (type is not null && type != actual && !(type == "number" && actual == "integer"))
        {
            causes.Add(TypeInvalid(path, actual, $"{Body(path)} must be of type {type}: \"{actual}\""));
            return;
        }

        if (s["enum"] is JsonArray allowed && !allowed.Any(a => JsonEquals(a, node)))
            causes.Add(NotSupported(path, node, allowed));

        switch (node)
        {
            case JsonObject o:
                ObjectNode(o, s, path, causes, old as JsonObject, hasOld && old is JsonObject, root, depth);
                break;
            case JsonArray a:
                ArrayNode(a, s, path, causes, old as JsonArray, hasOld && old is JsonArray, depth);
                break;
            case JsonValue v when actual == "string":
                StringNode(v.GetValue<string>(), node, s, path, causes);
                break;
            case JsonValue v when actual is "integer" or "number":
                NumberNode(v, s, path, causes);
                break;
        }

        Combinators(node, s, path, causes, depth);
        if (s["x-kubernetes-validations"] is JsonArray { Count: > 0 }) _rules.Evaluate(node, old, hasOld, s, path, causes);
    }

    private void Combinators(JsonNode node, JsonObject s, string path, List<V1StatusCause> causes, int depth)
    {
        if (s["allOf"] is JsonArray allOf)
        {
            foreach (var sub in allOf.OfType<JsonObject>()) Node(node, sub, path, causes, null, false, false, depth + 1);
        }
        if (s["anyOf"] is JsonArray anyOf && anyOf.Count > 0)
        {
            List<V1StatusCause>? first = null;
            var ok = false;
            foreach (var sub in anyOf.OfType<JsonObject>())
            {
                var trial = new List<V1StatusCause>();
                Node(node, sub, path, trial, null, false, false, depth + 1);
                if (trial.Count == 0)
                {
                    ok = true;
                    break;
                }
                first ??= trial;
            }
            if (!ok)
            {
                causes.Add(Invalid(path, "\"\"", $"{Named(path)}must validate at least one schema (anyOf)"));
                if (first is not null) causes.AddRange(first);
            }
        }
        if (s["oneOf"] is JsonArray oneOf && oneOf.Count > 0)
        {
            var valid = 0;
            foreach (var sub in oneOf.OfType<JsonObject>())
            {
                var trial = new List<V1StatusCause>();
                Node(node, sub, path, trial, null, false, false, depth + 1);
                if (trial.Count == 0) valid++;
            }
            if (valid != 1) causes.Add(Invalid(path, "\"\"", $"{Named(path)}must validate one and only one schema (oneOf)"));
        }
        if (s["not"] is JsonObject not)
        {
            var trial = new List<V1StatusCause>();
            Node(node, not, path, trial, null, false, false, depth + 1);
            if (trial.Count == 0) causes.Add(Invalid(path, "\"\"", $"{Named(path)}must not validate the schema (not)"));
        }
    }

    private void ObjectNode(JsonObject o, JsonObject s, string path, List<V1StatusCause> causes, JsonObject? old, bool hasOld, bool root, int depth)
    {
        if (Json.Arr(s, "required") is { } required)
        {
            foreach (var r in required.Select(Json.Str).OfType<string>())
            {
                if (!o.ContainsKey(r)) causes.Add(Required(Child(path, r)));
            }
        }
        if (Json.Long(s["maxProperties"]) is { } maxP && o.Count > maxP)
            causes.Add(TooMany(path, o.Count, maxP));
        if (Json.Long(s["minProperties"]) is { } minP && o.Count < minP)
            causes.Add(Invalid(path, o.Count.ToString(CultureInfo.InvariantCulture), $"{Body(path)} should have at least {minP} properties"));

        var embedded = Bool(s, "x-kubernetes-embedded-resource");
        if (embedded) EmbeddedResource(o, path, causes);
        var props = Json.Obj(s, "properties");
        var additional = s["additionalProperties"] as JsonObject;
        foreach (var (key, child) in o)
        {
            var childPath = Child(path, key);
            if (root && key is "apiVersion" or "kind") continue;
            if (root && key == "metadata")
            {
                // Only name and generateName of the root metadata may be restricted by the schema.
                if (child is JsonObject meta && Json.Obj(props?[key] as JsonObject, "properties") is { } metaProps)
                {
                    foreach (var f in new[] { "name", "generateName" })
                    {
                        if (meta.ContainsKey(f) && metaProps[f] is JsonObject fs)
                            Node(meta[f], fs, $"metadata.{f}", causes, (old?["metadata"] as JsonObject)?[f], hasOld && old?["metadata"] is JsonObject om && om.ContainsKey(f), false, depth + 1);
                    }
                }
                continue;
            }
            var childSchema = props?[key] as JsonObject ?? additional;
            if (childSchema is null) continue;
            var childHasOld = hasOld && old!.ContainsKey(key);
            Node(child, childSchema, childPath, causes, childHasOld ? old![key] : null, childHasOld, false, depth + 1);
        }
    }

    private static void EmbeddedResource(JsonObject o, string path, List<V1StatusCause> causes)
    {
        if (o.Count == 0) return;
        if (Json.Str(o, "apiVersion") is not { Length: > 0 } apiVersion) causes.Add(Required(Child(path, "apiVersion"), "must not be empty"));
        else if (apiVersion.Count(c => c == '/') > 1 || apiVersion.StartsWith('/') || apiVersion.EndsWith('/'))
            causes.Add(Invalid(Child(path, "apiVersion"), Quote(apiVersion), $"unexpected GroupVersion string: {apiVersion}"));
        if (Json.Str(o, "kind") is not { Length: > 0 }) causes.Add(Required(Child(path, "kind"), "must not be empty"));
        if (o["metadata"] is { } meta)
        {
            if (meta is not JsonObject m) causes.Add(Invalid(Child(path, "metadata"), Render(meta), "must be an object"));
            else if (Json.Str(m, "name") is { Length: > 0 } name && (name is "." or ".." || name.Contains('/') || name.Contains('%')))
                causes.Add(Invalid(Child(path, "metadata.name"), Quote(name), name is "." or ".." ? $"may not be '{name}'" : name.Contains('/') ? "may not contain '/'" : "may not contain '%'"));
        }
    }

    private void ArrayNode(JsonArray a, JsonObject s, string path, List<V1StatusCause> causes, JsonArray? old, bool hasOld, int depth)
    {
        if (Json.Long(s["maxItems"]) is { } maxI && a.Count > maxI) causes.Add(TooMany(path, a.Count, maxI));
        if (Json.Long(s["minItems"]) is { } minI && a.Count < minI)
            causes.Add(Invalid(path, a.Count.ToString(CultureInfo.InvariantCulture), $"{Body(path)} should have at least {minI} items"));
        if (Bool(s, "uniqueItems"))
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            if (a.Any(item => !seen.Add(Canonical(item)))) causes.Add(Invalid(path, "\"\"", $"{Body(path)} shouldn't contain duplicates"));
        }
        var listType = Json.Str(s, "x-kubernetes-list-type");
        var mapKeys = Json.Arr(s, "x-kubernetes-list-map-keys")?.Select(Json.Str).OfType<string>().ToList() ?? [];
        Dictionary<string, JsonNode?>? oldByKey = null;
        if (hasOld && listType == "map" && mapKeys.Count > 0)
        {
            oldByKey = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
            foreach (var item in old!) oldByKey.TryAdd(MapKey(item, mapKeys), item);
        }
        else if (hasOld && listType == "set")
        {
            oldByKey = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
            foreach (var item in old!) oldByKey.TryAdd(Canonical(item), item);
        }
        if (listType is "set" or "map")
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < a.Count; i++)
            {
                var key = listType == "set" ? Canonical(a[i]) : MapKey(a[i], mapKeys);
                if (!seen.Add(key))
                    causes.Add(Duplicate($"{path}[{i}]", listType == "set" ? Render(a[i]) : GoMap(a[i], mapKeys)));
            }
        }
        if (Json.Obj(s, "items") is { } items)
        {
            for (var i = 0; i < a.Count; i++)
            {
                JsonNode? oldItem = null;
                var itemHasOld = oldByKey is not null && oldByKey.TryGetValue(listType == "set" ? Canonical(a[i]) : MapKey(a[i], mapKeys), out oldItem);
                Node(a[i], items, $"{path}[{i}]", causes, oldItem, itemHasOld, false, depth + 1);
            }
        }
    }

    private void StringNode(string value, JsonNode node, JsonObject s, string path, List<V1StatusCause> causes)
    {
        if (Json.Str(s, "format") is { Length: > 0 } format && SchemaFormats.IsValidated(format) && !SchemaFormats.IsValid(format, value))
            causes.Add(TypeInvalid(path, value, $"{Body(path)} must be of type {format}: {Quote(value)}"));
        var length = -1;
        if (Json.Long(s["maxLength"]) is { } maxL && (length = RuneCount(value)) > maxL)
            causes.Add(new V1StatusCause { Reason = "FieldValueTooLong", Field = path, Message = $"Too long: may not be more than {maxL} bytes" });
        if (Json.Long(s["minLength"]) is { } minL && (length < 0 ? RuneCount(value) : length) < minL)
            causes.Add(Invalid(path, Quote(value), $"{Body(path)} should be at least {minL} chars long"));
        if (Json.Str(s, "pattern") is { } pattern && Pattern(pattern) is { Regex: { } regex })
        {
            bool matches;
            try
            {
                matches = regex.IsMatch(value);
            }
            catch (RegexMatchTimeoutException)
            {
                matches = false;
            }
            if (!matches) causes.Add(Invalid(path, Quote(value), $"{Body(path)} should match '{pattern}'"));
        }
    }

    private static void NumberNode(JsonValue v, JsonObject s, string path, List<V1StatusCause> causes)
    {
        var value = ToDouble(v);
        var text = v.ToJsonString();
        if (Number(s["maximum"]) is { } max)
        {
            var exclusive = Bool(s, "exclusiveMaximum");
            if (exclusive ? value >= max : value > max)
                causes.Add(Invalid(path, text, $"{Body(path)} should be less than {(exclusive ? "" : "or equal to ")}{Format(max)}"));
        }
        if (Number(s["minimum"]) is { } min)
        {
            var exclusive = Bool(s, "exclusiveMinimum");
            if (exclusive ? value <= min : value < min)
                causes.Add(Invalid(path, text, $"{Body(path)} should be greater than {(exclusive ? "" : "or equal to ")}{Format(min)}"));
        }
        if (Number(s["multipleOf"]) is { } factor && factor > 0 && !IsMultiple(v, value, s["multipleOf"]!, factor))
            causes.Add(Invalid(path, text, $"{Body(path)} should be a multiple of {Format(factor)}"));
    }

    private static bool IsMultiple(JsonValue v, double value, JsonNode factorNode, double factor)
    {
        if (decimal.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var dv)
            && decimal.TryParse(factorNode.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var df) && df != 0)
            return dv % df == 0;
        var q = value / factor;
        return q == Math.Truncate(q);
    }

    // ---------------------------------------------------------------- helpers

    internal static string KindOf(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "object",
        JsonArray => "array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.True or JsonValueKind.False => "boolean",
            JsonValueKind.Number => IsInteger(v) ? "integer" : "number",
            JsonValueKind.Null => "null",
            _ => "object",
        },
        _ => "object",
    };

    private static bool IsInteger(JsonValue v)
    {
        if (v.TryGetValue<long>(out _)) return true;
        var text = v.ToJsonString();
        if (text.Contains('.', StringComparison.Ordinal) || text.Contains('e', StringComparison.OrdinalIgnoreCase))
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == Math.Floor(d) && Math.Abs(d) < 9.2e18;
        return true;
    }

    /// <summary>A JSON number as a double, whether parsed (a JsonElement) or set from a CLR number.</summary>
    internal static double ToDouble(JsonValue v)
    {
        if (v.TryGetValue<double>(out var d)) return d;
        if (v.TryGetValue<long>(out var l)) return l;
        if (v.TryGetValue<int>(out var i)) return i;
        if (v.TryGetValue<decimal>(out var m)) return (double)m;
        return double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out d) ? d : double.NaN;
    }

    internal static bool Bool(JsonObject? s, string name) => s?[name] is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    private static double? Number(JsonNode? n) => n is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? ToDouble(v) : null;

    private static string Format(double d) =>
        d == Math.Floor(d) && Math.Abs(d) < 1e21 ? d.ToString("0", CultureInfo.InvariantCulture) : d.ToString("R", CultureInfo.InvariantCulture);

    private static int RuneCount(string s)
    {
        var n = 0;
        foreach (var _ in s.EnumerateRunes()) n++;
        return n;
    }

    internal static string Child(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    private static string Body(string path) => $"{path} in body";

    private static string Named(string path) => path.Length == 0 ? "" : path + " ";

    /// <summary>Go's %q of a string (close enough: JSON escaping without HTML escapes).</summary>
    internal static string Quote(string s) => JsonSerializer.Serialize(s, QuoteOptions);

    /// <summary>A value as upstream's field errors print it: strings quoted, numbers and booleans bare.</summary>
    internal static string Render(JsonNode? n) => n switch
    {
        null => "\"null\"",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => Quote(v.GetValue<string>()),
        _ => n.ToJsonString(QuoteOptions),
    };

    internal static bool JsonEquals(JsonNode? a, JsonNode? b)
    {
        if (a is JsonValue va && b is JsonValue vb && va.GetValueKind() == JsonValueKind.Number && vb.GetValueKind() == JsonValueKind.Number)
            return ToDouble(va) == ToDouble(vb);
        if (a is JsonObject oa && b is JsonObject ob)
            return oa.Count == ob.Count && oa.All(kv => ob.TryGetPropertyValue(kv.Key, out var other) && JsonEquals(kv.Value, other));
        if (a is JsonArray aa && b is JsonArray ab)
        {
            if (aa.Count != ab.Count) return false;
            for (var i = 0; i < aa.Count; i++)
            {
                if (!JsonEquals(aa[i], ab[i])) return false;
            }
            return true;
        }
        return JsonNode.DeepEquals(a, b);
    }

    /// <summary>A JSON text with object keys sorted, so equal values have equal texts.</summary>
    internal static string Canonical(JsonNode? n)
    {
        var sb = new StringBuilder();
        Write(n, sb, 0);
        return sb.ToString();

        static void Write(JsonNode? n, StringBuilder sb, int depth)
        {
            switch (n)
            {
                case JsonObject o when depth < MaxDepth:
                    sb.Append('{');
                    foreach (var (k, v) in o.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                    {
                        sb.Append(Quote(k)).Append(':');
                        Write(v, sb, depth + 1);
                        sb.Append(',');
                    }
                    sb.Append('}');
                    break;
                case JsonArray a when depth < MaxDepth:
                    sb.Append('[');
                    foreach (var v in a)
                    {
                        Write(v, sb, depth + 1);
                        sb.Append(',');
                    }
                    sb.Append(']');
                    break;
                case JsonValue v when v.GetValueKind() == JsonValueKind.Number:
                    sb.Append(ToDouble(v).ToString("R", CultureInfo.InvariantCulture));
                    break;
                default:
                    sb.Append(n?.ToJsonString() ?? "null");
                    break;
            }
        }
    }

    private static string MapKey(JsonNode? item, List<string> keys) =>
        string.Join("\u0000", keys.Select(k => item is JsonObject o && o.TryGetPropertyValue(k, out var v) ? Canonical(v) : "\u0001"));

    /// <summary>The key fields of a map-list item as Go prints a map[string]interface{} (%#v).</summary>
    private static string GoMap(JsonNode? item, List<string> keys)
    {
        var parts = keys.Order(StringComparer.Ordinal)
            .Where(k => item is JsonObject o && o.ContainsKey(k))
            .Select(k => $"{Quote(k)}:{Render(((JsonObject)item!)[k])}");
        return "map[string]interface {}{" + string.Join(", ", parts) + "}";
    }

    // ---------------------------------------------------------------- causes

    internal static V1StatusCause Invalid(string path, string renderedValue, string detail) =>
        new() { Reason = "FieldValueInvalid", Field = path, Message = $"Invalid value: {renderedValue}: {detail}" };

    private static V1StatusCause TypeInvalid(string path, string value, string detail) =>
        new() { Reason = "FieldValueTypeInvalid", Field = path, Message = $"Invalid value: {Quote(value)}: {detail}" };

    private static V1StatusCause NotSupported(string path, JsonNode? value, JsonArray allowed) => new()
    {
        Reason = "FieldValueNotSupported",
        Field = path,
        Message = $"Unsupported value: {Render(value)}: supported values: "
            + string.Join(", ", allowed.Select(a => Quote(a is JsonValue av && av.GetValueKind() == JsonValueKind.String ? av.GetValue<string>() : a?.ToJsonString() ?? "null"))),
    };

    internal static V1StatusCause Required(string path, string? detail = null) =>
        new() { Reason = "FieldValueRequired", Field = path, Message = detail is null ? "Required value" : $"Required value: {detail}" };

    private static V1StatusCause TooMany(string path, long actual, long max) =>
        new() { Reason = "FieldValueTooMany", Field = path, Message = $"Too many: {actual}: must have at most {max} item{(max == 1 ? "" : "s")}" };

    private static V1StatusCause Duplicate(string path, string renderedValue) =>
        new() { Reason = "FieldValueDuplicate", Field = path, Message = $"Duplicate value: {renderedValue}" };
}
