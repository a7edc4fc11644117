using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using k8s.Models;
using Kube.ApiServer.Registry;

namespace Kube.ApiServer.Validation.Cel;

/// <summary>
/// x-kubernetes-validations (CEL rules) of CRD schemas, evaluated with this server's CEL subset (<see cref="CelParser"/>,
/// <see cref="CelEvaluator"/>): self and oldSelf (transition rules run only on update, against the old value), field
/// selection, has(), size(), comparisons, arithmetic, &amp;&amp; || ! ?:, in, string functions and the list macros.
/// A rule outside the subset is refused when the CRD is written (422 naming the rule), never accepted and ignored.
/// A failed rule is a cause with the rule's message (or "failed rule: RULE"), fieldPath and reason (FieldValueInvalid by default).
/// </summary>
internal sealed class CelRules(SchemaValidator validator)
{
    private readonly ConcurrentDictionary<string, (CelExpr? Expr, string? Error)> _compiled = new(StringComparer.Ordinal);

    private static readonly HashSet<string> RuleScope = new(StringComparer.Ordinal) { "self", "oldSelf" };

    public static (CelExpr? Expr, string? Error) Compile(string source)
    {
        try
        {
            var e = CelParser.Parse(source);
            CelEvaluator.Check(e, RuleScope);
            return (e, null);
        }
        catch (CelException ex)
        {
            return (null, ex.Message);
        }
    }

    private (CelExpr? Expr, string? Error) Cached(string source)
    {
        if (_compiled.Count > 10_000) _compiled.Clear();
        return _compiled.GetOrAdd(source, Compile);
    }

    /// <summary>Checks the rules of one schema node when the CRD is written: upstream's shape rules, then that each compiles in the subset.</summary>
    public static void CheckDefinitions(JsonArray rules, JsonObject schema, string p, List<V1StatusCause> causes, bool root = false,
        Action<string, double>? observeCost = null)
    {
        for (var i = 0; i < rules.Count; i++)
        {
            var rp = $"{p}[{i}]";
            var rule = rules[i] as JsonObject ?? [];
            var text = (Json.Str(rule, "rule") ?? "").Trim();
            var message = Json.Str(rule, "message");
            if (text.Length == 0)
            {
                causes.Add(SchemaValidator.Required($"{rp}.rule", "rule is not specified"));
                continue;
            }
            if (message is { Length: > 0 } && message.Trim().Length == 0)
                causes.Add(CrdValidator.Invalid($"{rp}.message", message, "message must be non-empty if specified"));
            else if (message is not null && message.Trim().Contains('\n', StringComparison.Ordinal))
                causes.Add(CrdValidator.Invalid($"{rp}.message", message, "message must not contain line breaks"));
            else if (text.Contains('\n', StringComparison.Ordinal) && string.IsNullOrWhiteSpace(message))
                causes.Add(SchemaValidator.Required($"{rp}.message", "message must be specified if rule contains line breaks"));
            if (Json.Str(rule, "reason") is { } reason && reason is not ("FieldValueInvalid" or "FieldValueForbidden" or "FieldValueRequired" or "FieldValueDuplicate"))
                causes.Add(Errors.NotSupported($"{rp}.reason", reason, ["FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"]));
            if (Json.Str(rule, "fieldPath") is { } fieldPath && (fieldPath.Trim().Length == 0 || !FieldPathValid(schema, fieldPath)))
                causes.Add(CrdValidator.Invalid($"{rp}.fieldPath", fieldPath, "fieldPath must be a valid path"));
            var (expr, error) = Compile(text);
            if (expr is not null)
            {
                try
                {
                    CelSchemaCheck.Check(expr, schema, root);
                }
                catch (CelException e)
                {
                    error = e.Message;
                }
            }
            if (error is not null)
                causes.Add(CrdValidator.Invalid($"{rp}.rule", text, $"compilation failed: ERROR: <input>: {error}"));
            else if (CelCost.Estimate(expr!, schema) is var cost && cost > CelCost.StaticEstimatedCostLimit)
                causes.Add(CrdSchemaRules.Forbidden($"{rp}.rule", CelCost.ErrorMessage("estimated rule cost", cost, CelCost.StaticEstimatedCostLimit)));
            else observeCost?.Invoke($"{rp}.rule", cost);
            if (Json.Str(rule, "messageExpression") is { } me)
            {
                var (meExpr, meError) = me.Trim().Length == 0 ? (null, null) : Compile(me);
                if (me.Trim().Length == 0) causes.Add(SchemaValidator.Required($"{rp}.messageExpression", "messageExpression must be non-empty if specified"));
                else if (meError is not null)
                    causes.Add(CrdValidator.Invalid($"{rp}.messageExpression", me, $"messageExpression compilation failed: ERROR: <input>: {meError}"));
                else if (CelCost.Estimate(meExpr!, schema) is var meCost && meCost > CelCost.StaticEstimatedCostLimit)
                    causes.Add(CrdSchemaRules.Forbidden($"{rp}.messageExpression", CelCost.ErrorMessage("estimated messageExpression cost", meCost, CelCost.StaticEstimatedCostLimit)));
            }
        }
    }

    /// <summary>Evaluates the rules of <paramref name="schema"/> on <paramref name="node"/>; failures become causes.</summary>
    public void Evaluate(JsonNode? node, JsonNode? old, bool hasOld, JsonObject schema, string path, List<V1StatusCause> causes)
    {
        if (schema["x-kubernetes-validations"] is not JsonArray rules) return;
        object? self = null, oldSelf = null;
        var converted = false;
        var typeName = Json.Str(schema, "type") ?? (SchemaValidator.Bool(schema, "x-kubernetes-int-or-string") ? SchemaValidator.KindOf(node) : "object");
        foreach (var rule in rules.OfType<JsonObject>())
        {
            var text = (Json.Str(rule, "rule") ?? "").Trim();
            var (expr, compileError) = Cached(text);
            if (expr is null)
            {
                causes.Add(SchemaValidator.Invalid(path, SchemaValidator.Quote(typeName), $"compilation failed: {compileError} evaluating rule: {text}"));
                continue;
            }
            if (!hasOld && CelEvaluator.UsesOldSelf(expr)) continue;
            object? result;
            try
            {
                if (!converted)
                {
                    self = CelEvaluator.FromJson(node, schema);
                    oldSelf = hasOld ? CelEvaluator.FromJson(old, schema) : null;
                    converted = true;
                }
                result = new CelEvaluator(validator, self, oldSelf, hasOld).Eval(expr);
            }
            catch (CelException e)
            {
                causes.Add(SchemaValidator.Invalid(path, SchemaValidator.Quote(typeName), $"{e.Message} evaluating rule: {text}"));
                continue;
            }
            if (result is not bool ok)
            {
                causes.Add(SchemaValidator.Invalid(path, SchemaValidator.Quote(typeName), $"rule did not evaluate to a bool: {text}"));
                continue;
            }
            if (ok) continue;
            var field = FieldPath(path, Json.Str(rule, "fieldPath"));
            var detail = Message(rule, self, oldSelf, hasOld) ?? $"failed rule: {text}";
            causes.Add(Json.Str(rule, "reason") switch
            {
                "FieldValueForbidden" => new V1StatusCause { Reason = "FieldValueForbidden", Field = field, Message = $"Forbidden: {detail}" },
                "FieldValueRequired" => SchemaValidator.Required(field, detail),
                "FieldValueDuplicate" => new V1StatusCause { Reason = "FieldValueDuplicate", Field = field, Message = $"Duplicate value: {SchemaValidator.Quote(typeName)}" },
                _ => SchemaValidator.Invalid(field, SchemaValidator.Quote(typeName), detail),
            });
        }
    }

    private string? Message(JsonObject rule, object? self, object? oldSelf, bool hasOld)
    {
        if (Json.Str(rule, "messageExpression") is { Length: > 0 } me && Cached(me.Trim()).Expr is { } expr)
        {
            try
            {
                if (new CelEvaluator(validator, self, oldSelf, hasOld).Eval(expr) is string s && s.Trim().Length > 0 && !s.Contains('\n', StringComparison.Ordinal))
                    return s;
            }
            catch (CelException)
            {
                // upstream falls back to message (or the default) when messageExpression fails
            }
        }
        return Json.Str(rule, "message") is { } m && m.Trim().Length > 0 ? m.Trim() : null;
    }

    private static string FieldPath(string path, string? fieldPath)
    {
        if (string.IsNullOrWhiteSpace(fieldPath)) return path;
        var rel = fieldPath.Trim();
        if (rel.StartsWith('.')) rel = rel[1..];
        if (rel.Length == 0) return path;
        return path.Length == 0 ? rel : rel.StartsWith('[') ? path + rel : $"{path}.{rel}";
    }

    /// <summary>A fieldPath is a dotted path (optionally ['key'] or [index]) of properties the schema declares.</summary>
    private static bool FieldPathValid(JsonObject schema, string fieldPath)
    {
        var s = schema;
        foreach (var raw in fieldPath.Trim().TrimStart('.').Split('.', StringSplitOptions.None))
        {
            var part = raw;
            var bracket = part.IndexOf('[', StringComparison.Ordinal);
            if (bracket >= 0) part = part[..bracket];
            if (part.Length == 0) return bracket >= 0;
            if (Json.Obj(s, "properties")?[part] is JsonObject next) s = next;
            else if (s["additionalProperties"] is JsonObject add) s = add;
            else return false;
            if (bracket >= 0 && Json.Obj(s, "items") is { } items) s = items;
        }
        return true;
    }
}
