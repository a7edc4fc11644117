using System.Text.Json.Nodes;
using k8s.Models;
using Kube.ApiServer.Registry;

namespace Kube.ApiServer.Validation.Cel;

/// <summary>
/// x-kubernetes-validations (CEL rules) of CRD schemas. Rules are checked when the CRD is written; a rule this
/// server cannot evaluate is refused there with a 422 naming it, never accepted and ignored.
/// </summary>
internal static class CelRules
{
    /// <summary>Checks the rules of one schema node (shape as upstream, then whether this server can evaluate them).</summary>
    public static void CheckDefinitions(JsonArray rules, JsonObject schema, string p, List<V1StatusCause> causes)
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
            causes.Add(CrdValidator.Invalid($"{rp}.rule", text,
                "x-kubernetes-validations rules (CEL) are not supported by this server; remove the rule or validate in an admission webhook"));
        }
    }
}
