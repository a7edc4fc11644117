using System.Globalization;
using System.Text.Json.Nodes;
using Kube.ApiServer.Registry;

namespace Kube.ApiServer.Validation.Cel;

/// <summary>
/// A static worst-case cost estimate of a rule, in the spirit of CEL's checker cost estimator that apiextensions uses to
/// refuse a CRD whose rule could run too long: strings, lists and maps are as large as the schema allows (maxLength,
/// maxItems, maxProperties) or, unbounded, as large as a 3 MiB request could make them; string scans cost 0.1 per
/// character (regular expressions 0.25 per character and pattern character), comprehensions cost their body once per
/// element. A rule estimated above <see cref="StaticEstimatedCostLimit"/> is refused with upstream's message; a schema
/// whose rules total (cost × how many times the rule can run) above <see cref="StaticEstimatedCrdCostLimit"/> too.
/// The figures are this server's estimate: close to upstream's for the common shapes, not identical.
/// </summary>
internal static class CelCost
{
    /// <summary>Upstream's StaticEstimatedCostLimit: the largest estimated cost of one expression.</summary>
    public const double StaticEstimatedCostLimit = 10_000_000;

    /// <summary>Upstream's StaticEstimatedCRDCostLimit: the largest estimated total of a CRD version's rules.</summary>
    public const double StaticEstimatedCrdCostLimit = 100_000_000;

    /// <summary>The largest request body (3 MiB), which bounds what an unbounded string, list or map can hold.</summary>
    public const double MaxRequestSizeBytes = 3 * 1024 * 1024;

    private readonly record struct Info(double Cost, JsonObject? Schema, double Size);

    /// <summary>The estimated worst-case cost of <paramref name="e"/> evaluated with self (and oldSelf) of <paramref name="schema"/>.</summary>
    public static double Estimate(CelExpr e, JsonObject schema) =>
        Walk(e, new Dictionary<string, JsonObject?>(StringComparer.Ordinal) { ["self"] = schema, ["oldSelf"] = schema }, 0).Cost;

    /// <summary>upstream's getCostErrorMessage: "NAME exceeds budget by factor of F (try ...)".</summary>
    public static string ErrorMessage(string what, double cost, double limit)
    {
        var factor = cost / limit;
        var text = factor > 100 ? "more than 100x"
            : factor < 1.5 ? factor.ToString("F6", CultureInfo.InvariantCulture) + "x"
            : factor.ToString("F1", CultureInfo.InvariantCulture) + "x";
        return $"{what} exceeds budget by factor of {text} (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)";
    }

    /// <summary>How many values a schema node can hold at most (maxLength, maxItems or maxProperties, else what 3 MiB holds).</summary>
    public static double MaxSize(JsonObject? schema)
    {
        switch (Json.Str(schema, "type"))
        {
            case "string":
                return Json.Long(schema!["maxLength"]) is { } ml ? ml : MaxRequestSizeBytes - 2;
            case "array":
                return Json.Long(schema!["maxItems"]) is { } mi ? mi : Math.Floor((MaxRequestSizeBytes - 2) / (MinSerializedSize(Json.Obj(schema, "items")) + 1));
            case "object" when schema!["additionalProperties"] is JsonObject values:
                return Json.Long(schema["maxProperties"]) is { } mp ? mp : Math.Floor((MaxRequestSizeBytes - 2) / (MinSerializedSize(values) + 4));
            case "object":
                return Json.Obj(schema, "properties")?.Count ?? 1;
            default:
                return 1;
        }
    }

    /// <summary>How many times a rule at a node can run: the product of the sizes of the lists and maps above it.</summary>
    public static double Cardinality(IEnumerable<JsonObject> ancestors) =>
        ancestors.Aggregate(1.0, (acc, s) => Json.Str(s, "type") == "array" || s["additionalProperties"] is JsonObject ? acc * MaxSize(s) : acc);

    private static double MinSerializedSize(JsonObject? schema) => Json.Str(schema, "type") switch
    {
        "string" => 2,
        "integer" or "number" => 1,
        "boolean" => 4,
        "array" or "object" => 2,
        _ => 1,
    };

    private static Info Walk(CelExpr e, Dictionary<string, JsonObject?> vars, int depth)
    {
        if (depth > 128) return new Info(1, null, 1);
        switch (e)
        {
            case CelLiteral l:
                return new Info(0, null, l.Value is string s ? s.Length : 1);
            case CelIdent id:
                var schema = vars.GetValueOrDefault(id.Name);
                return new Info(1, schema, MaxSize(schema));
            case CelSelect sel:
            {
                var t = Walk(sel.Target, vars, depth + 1);
                var field = Field(t.Schema, sel.Field);
                return new Info(t.Cost + 1, field, MaxSize(field));
            }
            case CelIndex ix:
            {
                var t = Walk(ix.Target, vars, depth + 1);
                var i = Walk(ix.Index, vars, depth + 1);
                var element = Json.Obj(t.Schema, "items") ?? t.Schema?["additionalProperties"] as JsonObject;
                return new Info(t.Cost + i.Cost + 1, element, MaxSize(element));
            }
            case CelUnary u:
            {
                var o = Walk(u.Operand, vars, depth + 1);
                return o with { Cost = o.Cost + 1, Schema = null };
            }
            case CelConditional c:
            {
                var cond = Walk(c.Condition, vars, depth + 1);
                var then = Walk(c.Then, vars, depth + 1);
                var other = Walk(c.Else, vars, depth + 1);
                return new Info(cond.Cost + Math.Max(then.Cost, other.Cost), null, Math.Max(then.Size, other.Size));
            }
            case CelListLiteral l:
            {
                var items = l.Items.Select(x => Walk(x, vars, depth + 1)).ToList();
                return new Info(items.Sum(x => x.Cost) + 1, null, items.Count);
            }
            case CelMapLiteral m:
                return new Info(m.Entries.Sum(kv => Walk(kv.Key, vars, depth + 1).Cost + Walk(kv.Value, vars, depth + 1).Cost) + 1, null, m.Entries.Count);
            case CelBinary b:
            {
                var l = Walk(b.Left, vars, depth + 1);
                var r = Walk(b.Right, vars, depth + 1);
                var op = b.Op switch
                {
                    "in" => r.Size,
                    "==" or "!=" or "<" or "<=" or ">" or ">=" => Math.Ceiling(0.1 * Math.Min(l.Size, r.Size)),
                    "+" => Math.Ceiling(0.1 * (l.Size + r.Size)),
                    _ => 0,
                };
                return new Info(l.Cost + r.Cost + 1 + op, null, b.Op == "+" ? l.Size + r.Size : 1);
            }
            case CelCall call:
                return Call(call, vars, depth);
            default:
                return new Info(1, null, 1);
        }
    }

    private static Info Call(CelCall call, Dictionary<string, JsonObject?> vars, int depth)
    {
        if (call.Target is not null && call.Function is "all" or "exists" or "exists_one" or "map" or "filter" && call.Args.Count >= 2 && call.Args[0] is CelIdent name)
        {
            var range = Walk(call.Target, vars, depth + 1);
            JsonObject? element = Json.Str(range.Schema, "type") == "array" ? Json.Obj(range.Schema, "items")
                : range.Schema is not null ? new JsonObject { ["type"] = "string", ["maxLength"] = 253 } : null;
            var inner = new Dictionary<string, JsonObject?>(vars, StringComparer.Ordinal) { [name.Name] = element };
            var body = call.Args.Skip(1).Sum(a => Walk(a, inner, depth + 1).Cost);
            return new Info(range.Cost + range.Size * (body + 2) + 1, null, range.Size);
        }
        if (call.Function == "has") return new Info(call.Args.Sum(a => Walk(a, vars, depth + 1).Cost) + 1, null, 1);
        var target = call.Target is null ? (Info?)null : Walk(call.Target, vars, depth + 1);
        var args = call.Args.Select(a => Walk(a, vars, depth + 1)).ToList();
        var subject = target ?? (args.Count > 0 ? args[0] : new Info(0, null, 1));
        Info? argument = target is null ? (args.Count > 1 ? args[1] : null) : args.Count > 0 ? args[0] : null;
        var work = call.Function switch
        {
            "contains" or "startsWith" or "endsWith" => Math.Ceiling(0.1 * subject.Size * Math.Max(1, argument?.Size ?? 1)),
            "matches" => Math.Ceiling(0.25 * subject.Size * Math.Max(1, argument?.Size ?? 1)),
            "lowerAscii" or "upperAscii" or "trim" or "string" or "int" or "double" or "quantity" or "isQuantity"
                or "duration" or "timestamp" or "url" or "isURL" => Math.Ceiling(0.1 * subject.Size),
            _ => 0,
        };
        var size = call.Function is "lowerAscii" or "upperAscii" or "trim" ? subject.Size : 1;
        return new Info((target?.Cost ?? 0) + args.Sum(a => a.Cost) + 1 + work, null, size);
    }

    private static JsonObject? Field(JsonObject? schema, string field)
    {
        if (schema is null) return null;
        if (Json.Obj(schema, "properties")?[field] is JsonObject p) return p;
        return schema["additionalProperties"] as JsonObject;
    }
}
