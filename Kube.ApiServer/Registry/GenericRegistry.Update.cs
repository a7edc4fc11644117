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
    // ---------------------------------------------------------------- update and patch

    public async Task<WriteResult> UpdateAsync(RequestScope s, JsonObject body, WriteOptions o, CancellationToken ct)
    {
        await AuthorizeAsync(s, "update", ct).ConfigureAwait(false);
        CheckKind(s.Type, body);
        var meta = Json.Metadata(body);
        CheckNamespace(s, meta);
        var name = RequireName(s);
        var bodyName = Json.Str(meta, "name");
        if (string.IsNullOrEmpty(bodyName)) meta["name"] = name;
        else if (bodyName != name) throw Errors.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
        var warnings = CheckFields(s, body, o.FieldValidation);
        var explicitRv = !string.IsNullOrEmpty(Json.Str(meta, "resourceVersion"));
        return await UpdateCoreAsync(s, name, _ => Json.Clone(body), o, warnings, explicitRv, ct).ConfigureAwait(false);
    }

    public async Task<WriteResult> PatchAsync(RequestScope s, KubePatchType type, string patchBody, WriteOptions o, CancellationToken ct)
    {
        await AuthorizeAsync(s, "patch", ct).ConfigureAwait(false);
        var name = RequireName(s);
        if (type == KubePatchType.Apply) return await ApplyAsync(s, name, patchBody, o, ct).ConfigureAwait(false);
        var patch = ParsePatch(type, patchBody);
        List<string>? warnings = null;
        return await UpdateCoreAsync(s, name, current =>
        {
            var patched = ApplyPatch(type, current, patch);
            if (warnings is null)
            {
                warnings = CheckFields(s with { TypedInput = false }, patched, o.FieldValidation);
            }
            return patched;
        }, o, [], PatchSetsResourceVersion(patch), ct, () => warnings ?? []).ConfigureAwait(false);
    }

    /// <summary>
    /// Server-side apply: the configuration is merged into the live object (created when absent) under
    /// <see cref="WriteOptions.FieldManager"/>'s ownership; conflicts with other managers are 409 unless forced.
    /// </summary>
    private async Task<WriteResult> ApplyAsync(RequestScope s, string name, string patchBody, WriteOptions o, CancellationToken ct)
    {
        var manager = o.FieldManager;
        if (string.IsNullOrEmpty(manager))
            throw KubeApiException.FromStatus(KubeApiException.NewStatus(422, "Invalid",
                "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
                new k8s.Models.V1StatusDetails { Group = "meta.k8s.io", Kind = "PatchOptions", Name = "", Causes = [Errors.Required("fieldManager", "is required for apply patch")] }));
        if (manager.Length > 128)
            throw Errors.BadRequest($"fieldManager: Too long: may not be more than 128 bytes");
        var applied = ApplyBody.Parse(patchBody);
        if (string.IsNullOrEmpty(Json.Str(applied, "apiVersion")) || string.IsNullOrEmpty(Json.Str(applied, "kind")))
            throw Errors.BadRequest("invalid object type: apiVersion and kind must be set in an apply configuration");
        CheckKind(s.Type, applied);
        var meta = Json.Metadata(applied);
        if (meta["managedFields"] is JsonArray { Count: > 0 })
            throw Errors.BadRequest("metadata.managedFields must be nil");
        meta.Remove("managedFields");
        var bodyName = Json.Str(meta, "name");
        if (string.IsNullOrEmpty(bodyName)) meta["name"] = name;
        else if (bodyName != name) throw Errors.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
        if (s.Type.Namespaced) CheckNamespace(s, meta);
        var warnings = CheckFields(s with { TypedInput = false }, applied, o.FieldValidation);
        var force = o.Force == true;

        for (var attempt = 0; attempt < 3; attempt++)
        {
            var exists = await storage.GetAsync(KeyOf(s, name), ct).ConfigureAwait(false) is not null;
            if (!exists)
            {
                if (s.Subresource is not null) throw Errors.NotFound(s.Type, name);
                await AuthorizeAsync(s, "create", ct).ConfigureAwait(false);
                var created = FieldManager.Apply(s.Type, null, applied, manager, force, null, Now());
                try
                {
                    var r = await CreateCoreAsync(s with { Name = null }, created, o, recordUpdate: false, ct).ConfigureAwait(false);
                    warnings.AddRange(r.Warnings);
                    return r with { Warnings = warnings };
                }
                catch (KubeApiException e) when (e.Status.Reason == "AlreadyExists")
                {
                    continue;
                }
            }
            try
            {
                var precondition = !string.IsNullOrEmpty(Json.Str(meta, "resourceVersion"));
                return await UpdateCoreAsync(s, name, current =>
                        FieldManager.Apply(s.Type, current, applied, manager, force, s.Subresource, Now()),
                    o, warnings, precondition, ct, recordUpdate: false).ConfigureAwait(false);
            }
            catch (KubeApiException e) when (e.Status.Code == 404)
            {
            }
        }
        throw Errors.Conflict(s.Type, name);
    }

    private string Now() => Json.Timestamp(time.GetUtcNow());

    /// <summary>Deleting a CRD deletes its custom objects first, as upstream's customresourcecleanup finalizer does.</summary>
    private async Task DeleteCustomObjectsAsync(JsonObject crd, UserInfo user, CancellationToken ct)
    {
        var spec = Json.Obj(crd, "spec");
        var group = Json.Str(spec, "group") ?? "";
        var plural = Json.Str(Json.Obj(spec, "names"), "plural") ?? "";
        var version = Json.Arr(spec, "versions")?.OfType<JsonObject>().FirstOrDefault(v => v["storage"] is JsonValue sv && sv.TryGetValue<bool>(out var b) && b) is { } storageVersion
            ? Json.Str(storageVersion, "name") ?? ""
            : "";
        if (types.FindByResource(group, version, plural) is not { } t) return;
        var items = await ListAsync(new RequestScope(t, null, null, null, user), new ListOptions(), ct, authorize: false).ConfigureAwait(false);
        foreach (var item in items.Items)
        {
            var key = KeyOf(new RequestScope(t, t.Namespaced ? Json.Namespace(item) : null, null, null, user), Json.Name(item));
            var rv = long.TryParse(Json.Str(Json.Metadata(item), "resourceVersion"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var r) ? r : 0;
            // A concurrent change loses this race; the next read no longer has a type to find it by.
            if (await storage.DeleteAsync(key, rv, ct).ConfigureAwait(false) is null)
            {
                var again = await storage.GetAsync(key, ct).ConfigureAwait(false);
                if (again is not null) await storage.DeleteAsync(key, again.ModRevision, ct).ConfigureAwait(false);
            }
        }
        if (items.Items.Count > 0)
            logger.LogInformation("Deleted {Count} {Resource} with their CustomResourceDefinition", items.Items.Count, t.GroupResource);
    }

    private static string ManagerOf(WriteOptions o) => string.IsNullOrEmpty(o.FieldManager) ? "unknown" : o.FieldManager;

    /// <summary>Upstream counts generations for the kinds with a spec; ConfigMaps, Secrets and the like have none.</summary>
    private static bool HasGeneration(ResourceType t, JsonObject obj) =>
        obj["spec"] is not null || t.ClrType is null || t.ClrType.GetProperty("Spec") is not null;

    /// <summary>Whether the patch itself names a resourceVersion (an optimistic-concurrency precondition).</summary>
    private static bool PatchSetsResourceVersion(JsonNode patch) => patch switch
    {
        JsonObject o => o["metadata"] is JsonObject m && m["resourceVersion"] is not null,
        JsonArray ops => ops.OfType<JsonObject>().Any(op => Json.Str(op, "path") == "/metadata/resourceVersion"),
        _ => false,
    };

    private static JsonNode ParsePatch(KubePatchType type, string body)
    {
        if (type == KubePatchType.Apply)
            return ApplyBody.Parse(body);
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(body, Json.NodeOptions, Json.DocumentOptions);
        }
        catch (JsonException e)
        {
            throw Errors.BadRequest($"error decoding patch: {e.Message}");
        }
        return type switch
        {
            KubePatchType.Json when node is JsonArray => node,
            KubePatchType.Json => throw Errors.BadRequest("json patch must be a JSON array of operations"),
            _ when node is JsonObject => node,
            _ => throw Errors.BadRequest("patch body must be a JSON object"),
        };
    }

    private static JsonObject ApplyPatch(KubePatchType type, JsonObject current, JsonNode patch)
    {
        var result = type switch
        {
            KubePatchType.Json => JsonPatch.Apply(current, (JsonArray)patch.DeepClone()),
            KubePatchType.Merge => MergePatch.Apply(current, patch),
            _ => StrategicMergePatch.Apply(current, patch),
        };
        return result as JsonObject ?? throw Errors.BadRequest("the patch did not produce an object");
    }

    /// <summary>
    /// Read, transform, check, write with compare-and-swap; retried when the store changed underneath unless the
    /// caller set a resourceVersion precondition.
    /// </summary>
    private async Task<WriteResult> UpdateCoreAsync(RequestScope s, string name, Func<JsonObject, JsonObject> transform,
        WriteOptions o, List<string> warnings, bool precondition, CancellationToken ct, Func<List<string>>? lateWarnings = null,
        bool recordUpdate = true)
    {
        var key = KeyOf(s, name);
        for (var attempt = 0; attempt <= options.MaxUpdateRetries; attempt++)
        {
            var stored = await storage.GetAsync(key, ct).ConfigureAwait(false) ?? throw Errors.NotFound(s.Type, name);
            var current = DecodeFor(s.Type, stored.Value, stored.ModRevision);
            var currentRv = Json.Str(Json.Metadata(current), "resourceVersion");
            var input = transform(Json.Clone(current));
            var inputMeta = Json.Metadata(input);
            var wantedRv = Json.Str(inputMeta, "resourceVersion");
            if (!string.IsNullOrEmpty(wantedRv) && wantedRv != currentRv) throw Errors.Conflict(s.Type, name);
            if (Json.Str(inputMeta, "name") is { Length: > 0 } n && n != name)
                throw Errors.BadRequest($"the name of the object ({n}) does not match the name on the URL ({name})");

            var next = s.Subresource switch
            {
                "status" => StatusOnly(current, input),
                EphemeralContainerValidation.Subresource => EphemeralContainersOnly(current, input),
                _ => MainUpdate(s.Type, current, input),
            };
            var request = NewAdmission(s, AdmissionOperation.Update, next, current, o, name);
            await admission.MutateAsync(request, ct).ConfigureAwait(false);
            next = request.Object ?? next;
            Defaulting.Apply(s.Type, next);
            if (s.Subresource == "status" && _schemas.Validate(s.Type, next, current) is { Count: > 0 } statusCauses) throw Errors.Invalid(s.Type, name, statusCauses);
            if (s.Subresource != "status")
            {
                var causes = ObjectValidator.Validate(s.Type, next, current, _schemas, s.Subresource);
                if (causes.Count > 0) throw Errors.Invalid(s.Type, name, causes);
                if (HasGeneration(s.Type, next))
                {
                    var generation = Json.Long(Json.Metadata(current)["generation"]) ?? 1;
                    if (!JsonNode.DeepEquals(current["spec"], next["spec"])) generation++;
                    Json.Metadata(next)["generation"] = generation;
                }
                else Json.Metadata(next).Remove("generation");
            }
            if (recordUpdate)
                FieldManager.RecordUpdate(current, next, ManagerOf(o), s.Type.ApiVersion, s.Subresource, FieldManager.ScopeOf(s.Type, s.Subresource), Now());
            await admission.ValidateAsync(request, ct).ConfigureAwait(false);
            var allWarnings = new List<string>(warnings);
            if (lateWarnings is not null) allWarnings.AddRange(lateWarnings());
            allWarnings.AddRange(request.Warnings);

            Json.Metadata(next)["resourceVersion"] = currentRv;
            if (ShouldRemoveAfterUpdate(s.Type, next))
            {
                if (IsDryRun(o.DryRun)) return new WriteResult(next, allWarnings, false);
                if (CrdRegistrar.IsCrd(s.Type)) await DeleteCustomObjectsAsync(current, s.User, ct).ConfigureAwait(false);
                var deletedAt = await storage.DeleteAsync(key, stored.ModRevision, ct).ConfigureAwait(false);
                if (deletedAt is null)
                {
                    if (precondition) throw Errors.Conflict(s.Type, name);
                    continue;
                }
                ObjectCodec.SetResourceVersion(next, deletedAt.Value);
                if (CrdRegistrar.IsCrd(s.Type)) _crds.Remove(next);
                return new WriteResult(next, allWarnings, false);
            }
            if (JsonNode.DeepEquals(next, current)) return new WriteResult(current, allWarnings, false);
            if (IsDryRun(o.DryRun)) return new WriteResult(next, allWarnings, false);
            var encoded = EncodeFor(s.Type, next);
            var rev = await storage.UpdateAsync(key, encoded, stored.ModRevision, ct).ConfigureAwait(false);
            if (rev is null)
            {
                if (precondition) throw Errors.Conflict(s.Type, name);
                continue;
            }
            ObjectCodec.SetResourceVersion(next, rev.Value);
            if (CrdRegistrar.IsCrd(s.Type)) _crds.Apply(next);
            return new WriteResult(next, allWarnings, false) { Stored = Served(s.Type, key, encoded, rev.Value) };
        }
        logger.LogWarning("Update of {Resource} {Name} gave up after {Attempts} conflicting attempts", s.Type.GroupResource, name, options.MaxUpdateRetries + 1);
        throw Errors.Conflict(s.Type, name);
    }

    /// <summary>The main endpoint: the new object, keeping status (when a status subresource exists) and server-set metadata.</summary>
    private static JsonObject MainUpdate(ResourceType t, JsonObject current, JsonObject input)
    {
        var next = input;
        next["apiVersion"] = t.ApiVersion;
        next["kind"] = t.Kind;
        if (t.Subresources.Contains("status"))
        {
            if (current["status"] is { } st) next["status"] = st.DeepClone();
            else next.Remove("status");
        }
        CopyServerMetadata(current, next);
        if (IsNamespace(t) && Json.Obj(current, "spec")?["finalizers"] is { } nsFinalizers)
            Json.EnsureObj(next, "spec")["finalizers"] = nsFinalizers.DeepClone();
        return next;
    }

    /// <summary>The status endpoint: the stored object with only the status replaced.</summary>
    private static JsonObject StatusOnly(JsonObject current, JsonObject input)
    {
        var next = Json.Clone(current);
        if (input["status"] is { } st) next["status"] = st.DeepClone();
        else next.Remove("status");
        return next;
    }

    /// <summary>Pods' ephemeralcontainers subresource: the stored pod with only <c>spec.ephemeralContainers</c> taken from the input (upstream's dropNonEphemeralContainerUpdates).</summary>
    private static JsonObject EphemeralContainersOnly(JsonObject current, JsonObject input)
    {
        var next = Json.Clone(current);
        var spec = Json.EnsureObj(next, "spec");
        if (Json.Obj(input, "spec")?["ephemeralContainers"] is { } list) spec["ephemeralContainers"] = list.DeepClone();
        else spec.Remove("ephemeralContainers");
        return next;
    }

    private static void CopyServerMetadata(JsonObject current, JsonObject next)
    {
        var cm = Json.Metadata(current);
        var nm = Json.Metadata(next);
        foreach (var field in new[] { "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "namespace", "name" })
        {
            if (cm[field] is { } v) nm[field] = v.DeepClone();
            else nm.Remove(field);
        }
        nm.Remove("selfLink");
    }

    private static bool ShouldRemoveAfterUpdate(ResourceType t, JsonObject next)
    {
        var meta = Json.Metadata(next);
        if (meta["deletionTimestamp"] is null) return false;
        if (Json.Arr(meta, "finalizers") is { Count: > 0 }) return false;
        if (t.Group.Length == 0 && t.Kind == "Pod" && (Json.Long(meta["deletionGracePeriodSeconds"]) ?? 0) > 0) return false;
        return true;
    }
}
