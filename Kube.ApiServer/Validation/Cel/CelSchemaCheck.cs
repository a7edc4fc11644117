using System.Text.Json.Nodes;
using Kube.ApiServer.Registry;

namespace Kube.ApiServer.Validation.Cel;

/// <summary>
/// The part of CEL's type check that catches what rule authors get wrong most: selecting a field the schema does not
/// declare (<c>undefined field 'x'</c>) through self, oldSelf, indexes and macro variables. Values the schema leaves
/// open (preserve-unknown-fields, additionalProperties, int-or-string) are not checked.
/// </summary>
internal static class CelSchemaCheck
{
    public static void Check(CelExpr e, JsonObject schema, bool root) =>
        Resolve(e, new Dictionary<string, (JsonObject? Schema, bool Root)>(StringComparer.Ordinal) { ["self"] = (schema, root), ["oldSelf"] = (schema, root) }, 0);

    private static (JsonObject? Schema, bool Root) Resolve(CelExpr e, Dictionary<string, (JsonObject?, bool)> vars, int depth)
    {
        if (depth > 128) return (null, false);
        switch (e)
        {
            case CelIdent id:
                return vars.TryGetValue(id.Name, out var v) ? v : (null, false);
            case CelSelect s:
                return (Field(Resolve(s.Target, vars, depth + 1), s.Field), false);
            case CelIndex ix:
            {
                Resolve(ix.Index, vars, depth + 1);
                var (t, _) = Resolve(ix.Target, vars, depth + 1);
                return (Json.Obj(t, "items") ?? t?["additionalProperties"] as JsonObject, false);
            }
            case CelCall { Target: not null } call when call.Function is "all" or "exists" or "exists_one" or "map" or "filter" && call.Args.Count >= 2 && call.Args[0] is CelIdent name:
            {
                var (t, _) = Resolve(call.Target, vars, depth + 1);
                JsonObject? element = Json.Str(t, "type") switch
                {
                    "array" => Json.Obj(t, "items"),
                    "object" => new JsonObject { ["type"] = "string" },
                    _ => null,
                };
                var inner = new Dictionary<string, (JsonObject?, bool)>(vars, StringComparer.Ordinal) { [name.Name] = (element, false) };
                foreach (var a in call.Args.Skip(1)) Resolve(a, inner, depth + 1);
                return (null, false);
            }
            case CelCall call:
                if (call.Target is not null) Resolve(call.Target, vars, depth + 1);
                foreach (var a in call.Args) Resolve(a, vars, depth + 1);
                return (null, false);
            case CelUnary u:
                Resolve(u.Operand, vars, depth + 1);
                return (null, false);
            case CelBinary b:
                Resolve(b.Left, vars, depth + 1);
                Resolve(b.Right, vars, depth + 1);
                return (null, false);
            case CelConditional c:
                Resolve(c.Condition, vars, depth + 1);
                Resolve(c.Then, vars, depth + 1);
                Resolve(c.Else, vars, depth + 1);
                return (null, false);
            case CelListLiteral l:
                foreach (var item in l.Items) Resolve(item, vars, depth + 1);
                return (null, false);
            case CelMapLiteral m:
                foreach (var (k, val) in m.Entries)
                {
                    Resolve(k, vars, depth + 1);
                    Resolve(val, vars, depth + 1);
                }
                return (null, false);
            default:
                return (null, false);
        }
    }

    private static JsonObject? Field((JsonObject? Schema, bool Root) target, string field)
    {
        var (s, root) = target;
        if (s is null || SchemaValidator.Bool(s, "x-kubernetes-preserve-unknown-fields")) return null;
        if ((root || SchemaValidator.Bool(s, "x-kubernetes-embedded-resource")) && field is "apiVersion" or "kind" or "metadata")
            return Json.Obj(s, "properties")?[field] as JsonObject;
        if (s["additionalProperties"] is JsonObject additional) return additional;
        if (s["additionalProperties"] is JsonValue) return null;
        if (Json.Str(s, "type") is not ("object" or null)) throw new CelException($"type '{Json.Str(s, "type")}' does not support field selection");
        if (Json.Obj(s, "properties") is { } props)
            return props[field] as JsonObject ?? throw new CelException($"undefined field '{field}'");
        return Json.Str(s, "type") == "object" ? throw new CelException($"undefined field '{field}'") : null;
    }
}
