using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using k8s.Models;
using Kube.ApiServer.Registry;

namespace Kube.ApiServer.Validation;

/// <summary>
/// Validation and defaulting of a CustomResourceDefinition as apiextensions-apiserver does them: the name is
/// plural.group, names are DNS-1035 labels, exactly one storage version, every version has a structural schema
/// (types everywhere, no additionalProperties beside properties, metadata restricting only name/generateName,
/// defaults that validate and are pruned), list/map extensions consistent, scale paths under .spec/.status.
/// </summary>
internal static partial class CrdValidator
{
    private const string Dns1035Message =
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

    internal const string SubdomainMessage =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

    private static readonly string[] Types = ["array", "boolean", "integer", "number", "object", "string"];
    private static readonly string[] ColumnTypes = ["boolean", "date", "integer", "number", "string"];

    [GeneratedRegex("^[a-z]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1035();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Subdomain();

    internal static bool IsSubdomain(string s) => Subdomain().IsMatch(s);

    /// <summary>Upstream's v1 defaults: singular (lower-case kind), listKind (kind + "List"), conversion strategy None.</summary>
    public static void Default(JsonObject crd)
    {
        if (crd["spec"] is not JsonObject spec) return;
        if (spec["names"] is JsonObject names && Json.Str(names, "kind") is { Length: > 0 } kind)
        {
            if (string.IsNullOrEmpty(Json.Str(names, "singular"))) names["singular"] = kind.ToLowerInvariant();
            if (string.IsNullOrEmpty(Json.Str(names, "listKind"))) names["listKind"] = kind + "List";
        }
        if (spec["conversion"] is null) spec["conversion"] = new JsonObject { ["strategy"] = "None" };
    }

    public static void Validate(JsonObject crd, JsonObject? old, List<V1StatusCause> causes, SchemaValidator validator)
    {
        var spec = Json.Obj(crd, "spec") ?? [];
        var group = Json.Str(spec, "group") ?? "";
        var names = Json.Obj(spec, "names") ?? [];
        var plural = Json.Str(names, "plural") ?? "";
        var name = Json.Name(crd);
        if (name.Length > 0 && name != plural + "." + group)
            causes.Add(Invalid("metadata.name", name, "must be spec.names.plural+\".\"+spec.group"));

        if (group.Length == 0) causes.Add(SchemaValidator.Required("spec.group"));
        else if (group.Length > 253 || !Subdomain().IsMatch(group)) causes.Add(Invalid("spec.group", group, SubdomainMessage));
        else if (!group.Contains('.', StringComparison.Ordinal)) causes.Add(Invalid("spec.group", group, "should be a domain with at least one dot"));

        var scope = Json.Str(spec, "scope") ?? "";
        if (scope.Length == 0) causes.Add(SchemaValidator.Required("spec.scope"));
        else if (scope is not ("Cluster" or "Namespaced")) causes.Add(Errors.NotSupported("spec.scope", scope, ["Cluster", "Namespaced"]));

        Names(names, causes);
        Versions(spec, causes, validator);

        if (Json.Obj(spec, "conversion") is { } conversion) CrdConversionRules.Validate(conversion, causes);
        if (SchemaValidator.Bool(spec, "preserveUnknownFields"))
            causes.Add(Invalid("spec.preserveUnknownFields", "true", "cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead", quote: false));

        if (old is not null)
        {
            var oldSpec = Json.Obj(old, "spec");
            Immutable("spec.group", Json.Str(oldSpec, "group"), group, causes);
            Immutable("spec.names.plural", Json.Str(Json.Obj(oldSpec, "names"), "plural"), plural, causes);
            Immutable("spec.scope", Json.Str(oldSpec, "scope"), scope, causes);
            Immutable("spec.names.kind", Json.Str(Json.Obj(oldSpec, "names"), "kind"), Json.Str(names, "kind"), causes);
        }
    }

    private static void Immutable(string field, string? before, string? after, List<V1StatusCause> causes)
    {
        if (before is not null && before != after) causes.Add(Errors.Immutable(field, SchemaValidator.Quote(after ?? "")));
    }

    private static void Names(JsonObject names, List<V1StatusCause> causes)
    {
        foreach (var f in new[] { "plural", "singular", "kind", "listKind" })
        {
            var v = Json.Str(names, f) ?? "";
            if (v.Length == 0)
            {
                causes.Add(SchemaValidator.Required($"spec.names.{f}"));
                continue;
            }
            var mixed = f is "kind" or "listKind";
            if (Dns1035Errors(mixed ? v.ToLowerInvariant() : v) is { } why)
                causes.Add(Invalid($"spec.names.{f}", v, mixed ? "may have mixed case, but should otherwise match: " + why : why));
        }
        var kind = Json.Str(names, "kind") ?? "";
        if (kind.Length > 0 && kind == Json.Str(names, "listKind"))
            causes.Add(Invalid("spec.names.listKind", kind, "kind and listKind may not be the same"));
        foreach (var list in new[] { "shortNames", "categories" })
        {
            var items = Json.Arr(names, list);
            for (var i = 0; i < (items?.Count ?? 0); i++)
            {
                var v = Json.Str(items![i]) ?? "";
                if (Dns1035Errors(v) is { } why) causes.Add(Invalid($"spec.names.{list}[{i}]", v, why));
            }
        }
    }

    internal static string? Dns1035Errors(string v) =>
        v.Length > 63 ? "must be no more than 63 characters" : Dns1035().IsMatch(v) ? null : Dns1035Message;

    private static void Versions(JsonObject spec, List<V1StatusCause> causes, SchemaValidator validator)
    {
        var versions = Json.Arr(spec, "versions");
        if (versions is not { Count: > 0 })
        {
            causes.Add(Invalid("spec.versions", "null", "must have exactly one version marked as storage version", quote: false));
            return;
        }
        var storage = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var unique = true;
        for (var i = 0; i < versions.Count; i++)
        {
            var v = versions[i] as JsonObject ?? [];
            var p = $"spec.versions[{i}]";
            var vname = Json.Str(v, "name") ?? "";
            if (SchemaValidator.Bool(v, "storage")) storage++;
            if (!seen.Add(vname)) unique = false;
            if (Dns1035Errors(vname) is { } why) causes.Add(Invalid($"{p}.name", vname, why));
            var sub = Json.Obj(v, "subresources");
            var statusEnabled = sub?["status"] is JsonObject;
            if (Json.Obj(Json.Obj(v, "schema"), "openAPIV3Schema") is not { } schema)
                causes.Add(SchemaValidator.Required($"{p}.schema.openAPIV3Schema", "schemas are required"));
            else CrdSchemaRules.Root(schema, $"{p}.schema.openAPIV3Schema", statusEnabled, causes, validator);
            if (Json.Obj(sub, "scale") is { } scale) Scale(scale, $"{p}.subresources", causes);
            var columns = Json.Arr(v, "additionalPrinterColumns");
            for (var c = 0; c < (columns?.Count ?? 0); c++) Column(columns![c] as JsonObject ?? [], $"{p}.additionalPrinterColumns[{c}]", causes);
        }
        var rendered = "[" + string.Join(",", versions.Select(v => SchemaValidator.Quote(Json.Str(v as JsonObject, "name") ?? ""))) + "]";
        if (!unique) causes.Add(Invalid("spec.versions", rendered, "must contain unique version names", quote: false));
        if (storage != 1) causes.Add(Invalid("spec.versions", rendered, "must have exactly one version marked as storage version", quote: false));
    }

    private static void Scale(JsonObject scale, string p, List<V1StatusCause> causes)
    {
        var spec = Json.Str(scale, "specReplicasPath") ?? "";
        if (spec.Length == 0) causes.Add(SchemaValidator.Required($"{p}.scale.specReplicasPath"));
        else if (!SimplePath(spec)) causes.Add(Invalid($"{p}.scale.specReplicasPath", spec, "must be a simple json path starting with ."));
        else if (!spec.StartsWith(".spec.", StringComparison.Ordinal)) causes.Add(Invalid($"{p}.scale.specReplicasPath", spec, "should be a json path under .spec"));
        var status = Json.Str(scale, "statusReplicasPath") ?? "";
        if (status.Length == 0) causes.Add(SchemaValidator.Required($"{p}.scale.statusReplicasPath"));
        else if (!SimplePath(status)) causes.Add(Invalid($"{p}.scale.statusReplicasPath", status, "must be a simple json path starting with ."));
        else if (!status.StartsWith(".status.", StringComparison.Ordinal)) causes.Add(Invalid($"{p}.scale.statusReplicasPath", status, "should be a json path under .status"));
        if (Json.Str(scale, "labelSelectorPath") is { Length: > 0 } selector)
        {
            if (!SimplePath(selector)) causes.Add(Invalid($"{p}.scale.labelSelectorPath", selector, "must be a simple json path starting with ."));
            else if (!selector.StartsWith(".spec.", StringComparison.Ordinal) && !selector.StartsWith(".status.", StringComparison.Ordinal))
                causes.Add(Invalid($"{p}.scale.labelSelectorPath", selector, "should be a json path under either .spec or .status"));
        }
    }

    private static bool SimplePath(string path) => path.StartsWith('.') && !path.Contains("..", StringComparison.Ordinal) && !path.Contains('[', StringComparison.Ordinal);

    private static void Column(JsonObject col, string p, List<V1StatusCause> causes)
    {
        if (string.IsNullOrEmpty(Json.Str(col, "name"))) causes.Add(SchemaValidator.Required($"{p}.name"));
        var type = Json.Str(col, "type") ?? "";
        var oneOf = "must be one of " + string.Join(",", ColumnTypes);
        if (type.Length == 0) causes.Add(SchemaValidator.Required($"{p}.type", oneOf));
        else if (!ColumnTypes.Contains(type)) causes.Add(Invalid($"{p}.type", type, oneOf));
        if (string.IsNullOrEmpty(Json.Str(col, "jsonPath"))) causes.Add(SchemaValidator.Required($"{p}.JSONPath"));
    }

    internal static V1StatusCause Invalid(string field, string value, string detail, bool quote = true) =>
        SchemaValidator.Invalid(field, quote ? SchemaValidator.Quote(value) : value, detail);

    internal static bool IsType(string? t) => t is not null && Types.Contains(t);

    internal static IReadOnlyList<string> AllTypes => Types;
}
