using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kube.ApiServer.Admission;
using Kube.ApiServer.Authorization;
using Kube.ApiServer.Apply;
using Kube.ApiServer.Patch;
using Kube.ApiServer.Selectors;
using Kube.ApiServer.Storage;
using Kube.ApiServer.Validation;
using Kube.ApiServer.Watch;
using Kube.Core.Admission;
using Kube.Core.Client;
using Kube.Core.Resources;
using Kube.Store;
using Microsoft.Extensions.Logging;

namespace Kube.ApiServer.Registry;

internal sealed partial class GenericRegistry
{
    // ---------------------------------------------------------------- subresources

    /// <summary>POST pods/NAME/binding: sets spec.nodeName once, and the PodScheduled condition.</summary>
    public async Task BindAsync(RequestScope s, JsonObject binding, WriteOptions o, CancellationToken ct)
    {
        await AuthorizeAsync(s, "create", ct).ConfigureAwait(false);
        var name = RequireName(s);
        var target = Json.Obj(binding, "target");
        var node = Json.Str(target, "name");
        if (string.IsNullOrEmpty(node))
            throw Errors.Invalid(s.Type, name, [Errors.Required("target.name")]);
        var key = KeyOf(s, name);
        for (var attempt = 0; attempt <= options.MaxUpdateRetries; attempt++)
        {
            var stored = await storage.GetAsync(key, ct).ConfigureAwait(false) ?? throw Errors.NotFound(s.Type, name);
            var pod = ObjectCodec.Decode(stored.Value, stored.ModRevision);
            var meta = Json.Metadata(pod);
            if (Json.Obj(binding, "metadata") is { } bm && Json.Str(bm, "uid") is { Length: > 0 } buid && buid != Json.Str(meta, "uid"))
                throw Errors.ConflictMessage(s.Type, name, $"Precondition failed: UID in precondition: {buid}, UID in object meta: {Json.Str(meta, "uid")}");
            if (meta["deletionTimestamp"] is not null)
                throw Errors.ConflictMessage(s.Type, name, "pod is being deleted, cannot be assigned to a host");
            var spec = Json.EnsureObj(pod, "spec");
            if (Json.Str(spec, "nodeName") is { Length: > 0 } existing)
                throw Errors.ConflictMessage(s.Type, name, $"pod {name} is already assigned to node \"{existing}\"");
            spec["nodeName"] = node;
            var status = Json.EnsureObj(pod, "status");
            var conditions = Json.Arr(status, "conditions");
            if (conditions is null) status["conditions"] = conditions = new JsonArray();
            for (var i = conditions.Count - 1; i >= 0; i--)
            {
                if (conditions[i] is JsonObject c && Json.Str(c, "type") == "PodScheduled") conditions.RemoveAt(i);
            }
            conditions.Add(new JsonObject
            {
                ["type"] = "PodScheduled",
                ["status"] = "True",
                ["lastProbeTime"] = null,
                ["lastTransitionTime"] = Json.Timestamp(time.GetUtcNow()),
            });
            if (IsDryRun(o.DryRun)) return;
            var rev = await storage.UpdateAsync(key, ObjectCodec.Encode(pod), stored.ModRevision, ct).ConfigureAwait(false);
            if (rev is not null) return;
        }
        throw Errors.Conflict(s.Type, name);
    }

    public async Task<JsonObject> GetScaleAsync(RequestScope s, CancellationToken ct)
    {
        await AuthorizeAsync(s, "get", ct).ConfigureAwait(false);
        var (obj, _) = await ReadAsync(s, RequireName(s), ct).ConfigureAwait(false);
        return _schemas.Scale(s.Type)?.ToScale(obj) ?? ToScale(obj);
    }

    /// <summary>PUT (a whole Scale) or PATCH (a patch of the Scale) of the scale subresource.</summary>
    public async Task<JsonObject> UpdateScaleAsync(RequestScope s, Func<JsonObject, JsonObject> scaleFromCurrent, WriteOptions o, CancellationToken ct,
        bool precondition = false)
    {
        await AuthorizeAsync(s, "update", ct).ConfigureAwait(false);
        var name = RequireName(s);
        var result = await UpdateCoreAsync(s with { Subresource = null }, name, current =>
        {
            var scale = scaleFromCurrent(_schemas.Scale(s.Type)?.ToScale(current) ?? ToScale(current));
            var replicas = Json.Long(Json.Obj(scale, "spec")?["replicas"]);
            if (replicas is null or < 0)
                throw Errors.Invalid(s.Type, name, [Errors.InvalidValue("spec.replicas", replicas?.ToString(CultureInfo.InvariantCulture), "must be greater than or equal to 0")]);
            if (_schemas.Scale(s.Type) is { } custom) custom.SetReplicas(current, replicas.Value);
            else Json.EnsureObj(current, "spec")["replicas"] = replicas;
            var rv = Json.Str(Json.Obj(scale, "metadata"), "resourceVersion");
            Json.Metadata(current)["resourceVersion"] = rv ?? "";
            return current;
        }, o, [], precondition, ct).ConfigureAwait(false);
        return _schemas.Scale(s.Type)?.ToScale(result.Object) ?? ToScale(result.Object);
    }

    public static JsonObject ApplyScalePatch(KubePatchType type, JsonObject scale, string body)
    {
        var patch = ParsePatch(type, body);
        return ApplyPatch(type, scale, patch);
    }

    private static JsonObject ToScale(JsonObject obj)
    {
        var meta = Json.Metadata(obj);
        var status = Json.Obj(obj, "status");
        var selector = Json.Obj(Json.Obj(obj, "spec"), "selector");
        return new JsonObject
        {
            ["kind"] = "Scale",
            ["apiVersion"] = "autoscaling/v1",
            ["metadata"] = new JsonObject
            {
                ["name"] = meta["name"]?.DeepClone(),
                ["namespace"] = meta["namespace"]?.DeepClone(),
                ["uid"] = meta["uid"]?.DeepClone(),
                ["resourceVersion"] = meta["resourceVersion"]?.DeepClone(),
                ["creationTimestamp"] = meta["creationTimestamp"]?.DeepClone(),
            },
            ["spec"] = new JsonObject { ["replicas"] = Json.Long(Json.Obj(obj, "spec")?["replicas"]) ?? 0 },
            ["status"] = new JsonObject
            {
                ["replicas"] = Json.Long(status?["replicas"]) ?? 0,
                ["selector"] = selector is null ? "" : SelectorText(selector),
            },
        };
    }

    internal static string SelectorText(JsonObject selector)
    {
        var parts = new List<string>();
        if (Json.Obj(selector, "matchLabels") is { } ml)
            parts.AddRange(ml.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={Json.Str(kv.Value)}"));
        if (Json.Arr(selector, "matchExpressions") is { } exprs)
        {
            foreach (var e in exprs.OfType<JsonObject>())
            {
                var key = Json.Str(e, "key");
                var values = string.Join(",", Json.Arr(e, "values")?.Select(Json.Str) ?? []);
                parts.Add(Json.Str(e, "operator") switch
                {
                    "In" => $"{key} in ({values})",
                    "NotIn" => $"{key} notin ({values})",
                    "Exists" => key!,
                    _ => $"!{key}",
                });
            }
        }
        return string.Join(",", parts);
    }

    // ---------------------------------------------------------------- helpers

    private AdmissionRequest NewAdmission(RequestScope s, AdmissionOperation op, JsonObject? obj, JsonObject? old, WriteOptions o, string? name) => new()
    {
        Resource = s.Type,
        Subresource = s.Subresource,
        Operation = op,
        Namespace = s.Namespace,
        Name = name,
        Object = obj,
        OldObject = old,
        User = s.User,
        DryRun = IsDryRun(o.DryRun),
    };

    private static bool IsDryRun(string? dryRun) => !string.IsNullOrEmpty(dryRun);

    private static void CheckKind(ResourceType t, JsonObject body)
    {
        var apiVersion = Json.Str(body, "apiVersion");
        var kind = Json.Str(body, "kind");
        if (!string.IsNullOrEmpty(kind) && kind != t.Kind)
            throw Errors.BadRequest($"the kind of the object ({kind}) does not match the kind served at this endpoint ({t.Kind})");
        if (!string.IsNullOrEmpty(apiVersion) && apiVersion != t.ApiVersion)
            throw Errors.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({t.ApiVersion})");
        body["apiVersion"] = t.ApiVersion;
        body["kind"] = t.Kind;
    }

    private static void CheckNamespace(RequestScope s, JsonObject meta)
    {
        var bodyNs = Json.Str(meta, "namespace");
        if (!s.Type.Namespaced)
        {
            meta.Remove("namespace");
            return;
        }
        if (string.IsNullOrEmpty(s.Namespace)) throw Errors.BadRequest("the namespace of the object could not be determined");
        if (!string.IsNullOrEmpty(bodyNs) && bodyNs != s.Namespace)
            throw Errors.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        meta["namespace"] = s.Namespace;
    }

    /// <summary>
    /// Decodes the body into its model type (a wrongly typed field is 400 BadRequest) and applies fieldValidation
    /// to unknown fields: Strict rejects, Warn returns warnings, Ignore (or unset) drops nothing and says nothing.
    /// </summary>
    private List<string> CheckFields(RequestScope s, JsonObject body, string? fieldValidation)
    {
        var warnings = new List<string>();
        var check = !string.IsNullOrEmpty(fieldValidation) && !fieldValidation.Equals("Ignore", StringComparison.OrdinalIgnoreCase);
        var strict = check && fieldValidation!.Equals("Strict", StringComparison.OrdinalIgnoreCase);
        if (check && !strict && !fieldValidation!.Equals("Warn", StringComparison.OrdinalIgnoreCase))
            throw Errors.BadRequest($"fieldValidation must be one of Ignore, Warn or Strict, not \"{fieldValidation}\"");
        if (_schemas.Get(s.Type.Group, s.Type.Version, s.Type.Plural) is { } schema)
        {
            var (unknownFields, invalid) = CustomSchemas.Apply(body, schema, prune: !strict);
            if (invalid.Count > 0) throw Errors.Invalid(s.Type, Json.Name(body), invalid);
            if (strict && unknownFields.Count > 0)
                throw Errors.BadRequest("strict decoding error: " + string.Join(", ", unknownFields.Select(u => $"unknown field \"{u}\"")));
            if (check) warnings.AddRange(unknownFields.Select(u => $"unknown field \"{u}\""));
            if (s.Type.ClrType is null) return warnings;
        }
        if (!check)
        {
            if (!s.TypedInput) StrictDecoder.TypeCheck(s.Type, body);
            return warnings;
        }
        var unknown = StrictDecoder.UnknownFields(s.Type, body);
        if (unknown.Count == 0) return warnings;
        if (strict) throw Errors.BadRequest("strict decoding error: " + string.Join(", ", unknown.Select(u => $"unknown field \"{u}\"")));
        warnings.AddRange(unknown.Select(u => $"unknown field \"{u}\""));
        return warnings;
    }
}
