using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using k8s.Models;
using Kube.ApiServer.Registry;
using Kube.Core.Resources;

namespace Kube.ApiServer.Validation;

/// <summary>Minimal upstream validation: names, pod containers, workload selectors. Returns the causes of a 422 Invalid.</summary>
internal static partial class ObjectValidator
{
    private const string SubdomainMessage =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

    private const string LabelMessage =
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Subdomain();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Label();

    [GeneratedRegex("^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")]
    private static partial Regex QualifiedNamePart();

    private const string QualifiedNameMessage =
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

    private const string LabelValueMessage =
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

    /// <summary>The most bytes all of an object's annotation keys and values may take together (upstream's TotalAnnotationSizeLimitB).</summary>
    public const int TotalAnnotationSizeLimit = 256 * 1024;

    private static bool UsesLabelNames(ResourceType t) => t.Group.Length == 0 && t.Kind is "Namespace" or "Service";

    /// <summary>Upstream's IsDNS1123Label (container names).</summary>
    public static bool IsDnsLabel(string value) => value.Length <= 63 && Label().IsMatch(value);

    /// <summary>The message of a failed <see cref="IsDnsLabel"/>.</summary>
    public const string DnsLabelMessage = LabelMessage;

    /// <param name="subresource">The subresource written through (pods' <c>ephemeralcontainers</c>), null for the main endpoint.</param>
    public static List<V1StatusCause> Validate(ResourceType t, JsonObject obj, JsonObject? old, CustomSchemas? schemas = null, string? subresource = null)
    {
        var causes = new List<V1StatusCause>();
        var name = Json.Name(obj);
        if (name.Length == 0)
        {
            causes.Add(Errors.Required("metadata.name", "name or generateName is required"));
        }
        else if (t.Group == "rbac.authorization.k8s.io")
        {
            // upstream's ValidateRBACName is path.IsValidPathSegmentName: system:* names are valid
            if (name is "." or "..") causes.Add(Errors.InvalidValue("metadata.name", name, $"may not be '{name}'"));
            else if (name.Contains('/')) causes.Add(Errors.InvalidValue("metadata.name", name, "may not contain '/'"));
            else if (name.Contains('%')) causes.Add(Errors.InvalidValue("metadata.name", name, "may not contain '%'"));
        }
        else if (UsesLabelNames(t))
        {
            if (name.Length > 63) causes.Add(Errors.InvalidValue("metadata.name", name, "must be no more than 63 characters"));
            else if (!Label().IsMatch(name)) causes.Add(Errors.InvalidValue("metadata.name", name, LabelMessage));
        }
        else if (name.Length > 253)
        {
            causes.Add(Errors.InvalidValue("metadata.name", name, "must be no more than 253 characters"));
        }
        else if (!Subdomain().IsMatch(name))
        {
            causes.Add(Errors.InvalidValue("metadata.name", name, SubdomainMessage));
        }

        Metadata(Json.Obj(obj, "metadata"), causes);

        switch (t.Group, t.Kind)
        {
            case ("", "Pod"):
                PodSpec(Json.Obj(obj, "spec"), "spec", causes);
                EphemeralContainerValidation.Validate(obj, old, subresource, causes);
                break;
            case ("apps", "Deployment"):
            case ("apps", "ReplicaSet"):
            case ("apps", "StatefulSet"):
            case ("apps", "DaemonSet"):
                Workload(obj, old, causes);
                break;
            case ("apiextensions.k8s.io", "CustomResourceDefinition"):
                CrdValidator.Validate(obj, old, causes, schemas?.Validator ?? new SchemaValidator());
                break;
        }
        if (schemas is not null) causes.AddRange(schemas.Validate(t, obj, old));
        return causes;
    }

    private static void Workload(JsonObject obj, JsonObject? old, List<V1StatusCause> causes)
    {
        var spec = Json.Obj(obj, "spec");
        if (spec is null)
        {
            causes.Add(Errors.Required("spec"));
            return;
        }
        var selector = Json.Obj(spec, "selector");
        var template = Json.Obj(spec, "template");
        var templateLabels = Json.Obj(Json.Obj(template, "metadata"), "labels");
        if (selector is null || (Json.Obj(selector, "matchLabels") is not { Count: > 0 } && Json.Arr(selector, "matchExpressions") is not { Count: > 0 }))
        {
            causes.Add(Errors.Required("spec.selector"));
        }
        else if (!SelectorMatches(selector, templateLabels))
        {
            causes.Add(new V1StatusCause
            {
                Reason = "FieldValueInvalid",
                Field = "spec.template.metadata.labels",
                Message = $"Invalid value: {LabelsText(templateLabels)}: `selector` does not match template `labels`",
            });
        }
        if (old is not null)
        {
            var oldSelector = Json.Obj(Json.Obj(old, "spec"), "selector");
            if (oldSelector is not null && !JsonNode.DeepEquals(oldSelector, selector))
                causes.Add(Errors.Immutable("spec.selector", selector?.ToJsonString() ?? "null"));
        }
        if (template is null) causes.Add(Errors.Required("spec.template"));
        else PodSpec(Json.Obj(template, "spec"), "spec.template.spec", causes);
    }

    private static string LabelsText(JsonObject? labels) =>
        "map[string]string{" + string.Join(", ", (labels ?? []).Select(kv => $"\"{kv.Key}\":\"{Json.Str(kv.Value)}\"")) + "}";

    public static bool SelectorMatches(JsonObject selector, JsonObject? labels)
    {
        if (Json.Obj(selector, "matchLabels") is { } ml)
        {
            foreach (var (k, v) in ml)
            {
                if (labels is null || Json.Str(labels[k]) != Json.Str(v)) return false;
            }
        }
        if (Json.Arr(selector, "matchExpressions") is { } exprs)
        {
            foreach (var e in exprs.OfType<JsonObject>())
            {
                var key = Json.Str(e, "key") ?? "";
                var has = labels is not null && labels.ContainsKey(key);
                var val = has ? Json.Str(labels![key]) : null;
                var values = Json.Arr(e, "values")?.Select(Json.Str).ToList() ?? [];
                var ok = Json.Str(e, "operator") switch
                {
                    "In" => has && values.Contains(val),
                    "NotIn" => !has || !values.Contains(val),
                    "Exists" => has,
                    "DoesNotExist" => !has,
                    _ => false,
                };
                if (!ok) return false;
            }
        }
        return true;
    }

    private static void PodSpec(JsonObject? spec, string path, List<V1StatusCause> causes)
    {
        if (spec is null)
        {
            causes.Add(Errors.Required(path));
            return;
        }
        if (Json.Arr(spec, "containers") is not { Count: > 0 } containers)
        {
            causes.Add(Errors.Required($"{path}.containers"));
            return;
        }
        var names = new HashSet<string>();
        for (var i = 0; i < containers.Count; i++)
        {
            var c = containers[i] as JsonObject;
            var cname = Json.Str(c, "name");
            if (string.IsNullOrEmpty(cname)) causes.Add(Errors.Required($"{path}.containers[{i}].name"));
            else if (!Label().IsMatch(cname) || cname.Length > 63) causes.Add(Errors.InvalidValue($"{path}.containers[{i}].name", cname, LabelMessage));
            else if (!names.Add(cname)) causes.Add(new V1StatusCause { Reason = "FieldValueDuplicate", Field = $"{path}.containers[{i}].name", Message = $"Duplicate value: \"{cname}\"" });
            if (string.IsNullOrWhiteSpace(Json.Str(c, "image"))) causes.Add(Errors.Required($"{path}.containers[{i}].image"));
        }
    }

    /// <summary>Labels (qualified-name keys, values of at most 63 characters) and annotations (qualified-name keys, 256 KiB in all).</summary>
    private static void Metadata(JsonObject? meta, List<V1StatusCause> causes)
    {
        if (Json.Obj(meta, "labels") is { } labels)
        {
            foreach (var (key, v) in labels)
            {
                QualifiedName("metadata.labels", key, causes);
                var value = Json.Str(v) ?? "";
                if (value.Length > 63) causes.Add(Errors.InvalidValue("metadata.labels", Truncate(value), "must be no more than 63 characters"));
                else if (value.Length > 0 && !QualifiedNamePart().IsMatch(value)) causes.Add(Errors.InvalidValue("metadata.labels", value, LabelValueMessage));
            }
        }
        if (Json.Obj(meta, "annotations") is { } annotations)
        {
            long total = 0;
            foreach (var (key, v) in annotations)
            {
                QualifiedName("metadata.annotations", key.ToLowerInvariant(), causes);
                total += System.Text.Encoding.UTF8.GetByteCount(key) + System.Text.Encoding.UTF8.GetByteCount(Json.Str(v) ?? "");
            }
            if (total > TotalAnnotationSizeLimit)
                causes.Add(new V1StatusCause { Reason = "FieldValueTooLong", Field = "metadata.annotations", Message = $"Too long: must have at most {TotalAnnotationSizeLimit} bytes" });
        }
    }

    private static string Truncate(string s) => s.Length <= 100 ? s : s[..100] + "...";

    /// <summary>Upstream's IsQualifiedName: an optional DNS-subdomain prefix and '/', then a name part of at most 63 characters.</summary>
    private static void QualifiedName(string field, string key, List<V1StatusCause> causes)
    {
        var parts = key.Split('/');
        string name;
        if (parts.Length == 1) name = parts[0];
        else if (parts.Length == 2)
        {
            var prefix = parts[0];
            name = parts[1];
            if (prefix.Length == 0) causes.Add(Errors.InvalidValue(field, Truncate(key), "prefix part must be non-empty"));
            else if (prefix.Length > 253) causes.Add(Errors.InvalidValue(field, Truncate(key), "prefix part must be no more than 253 characters"));
            else if (!Subdomain().IsMatch(prefix)) causes.Add(Errors.InvalidValue(field, Truncate(key), "prefix part " + SubdomainMessage));
        }
        else
        {
            causes.Add(Errors.InvalidValue(field, Truncate(key), "a qualified name " + QualifiedNameMessage.Replace("name part must", "must", StringComparison.Ordinal)
                + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"));
            return;
        }
        if (name.Length == 0) causes.Add(Errors.InvalidValue(field, Truncate(key), "name part must be non-empty"));
        else if (name.Length > 63) causes.Add(Errors.InvalidValue(field, Truncate(key), "name part must be no more than 63 characters"));
        else if (!QualifiedNamePart().IsMatch(name)) causes.Add(Errors.InvalidValue(field, Truncate(key), QualifiedNameMessage));
    }
}
