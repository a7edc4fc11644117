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
    // ---------------------------------------------------------------- delete

    public async Task<DeleteResult> DeleteAsync(RequestScope s, DeleteOptions o, CancellationToken ct, bool authorize = true)
    {
        if (authorize) await AuthorizeAsync(s, "delete", ct).ConfigureAwait(false);
        var name = RequireName(s);
        if (s.Type.Group.Length == 0 && s.Type.Kind == "Namespace" && name is "default" or "kube-system" or "kube-public")
            throw Errors.Forbidden($"namespaces \"{name}\" is forbidden: this namespace may not be deleted");
        var key = KeyOf(s, name);
        for (var attempt = 0; attempt <= options.MaxUpdateRetries; attempt++)
        {
            var stored = await storage.GetAsync(key, ct).ConfigureAwait(false) ?? throw Errors.NotFound(s.Type, name);
            var current = DecodeFor(s.Type, stored.Value, stored.ModRevision);
            var meta = Json.Metadata(current);
            if (o.PreconditionUid is { Length: > 0 } uid && uid != Json.Str(meta, "uid"))
                throw Errors.ConflictMessage(s.Type, name, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {Json.Str(meta, "uid")}");
            if (o.PreconditionResourceVersion is { Length: > 0 } prv && prv != Json.Str(meta, "resourceVersion"))
                throw Errors.ConflictMessage(s.Type, name, $"Precondition failed: ResourceVersion in precondition: {prv}, ResourceVersion in object meta: {Json.Str(meta, "resourceVersion")}");

            var request = NewAdmission(s, AdmissionOperation.Delete, null, current, new WriteOptions { DryRun = o.DryRun }, name);
            await admission.ValidateAsync(request, ct).ConfigureAwait(false);

            if (IsNamespace(s.Type))
            {
                if (meta["deletionTimestamp"] is not null)
                {
                    NamespaceTerminating?.Invoke(name);
                    return new DeleteResult(current, true);
                }
                var terminating = Json.Clone(current);
                var tm = Json.Metadata(terminating);
                tm["deletionTimestamp"] = Json.Timestamp(time.GetUtcNow());
                tm["deletionGracePeriodSeconds"] = 0;
                Json.EnsureObj(terminating, "spec")["finalizers"] = new JsonArray("kubernetes");
                Json.EnsureObj(terminating, "status")["phase"] = "Terminating";
                if (IsDryRun(o.DryRun)) return new DeleteResult(terminating, true);
                var nsRev = await storage.UpdateAsync(key, EncodeFor(s.Type, terminating), stored.ModRevision, ct).ConfigureAwait(false);
                if (nsRev is null) continue;
                ObjectCodec.SetResourceVersion(terminating, nsRev.Value);
                NamespaceTerminating?.Invoke(name);
                return new DeleteResult(terminating, true);
            }

            var next = Json.Clone(current);
            var nm = Json.Metadata(next);
            var finalizers = Json.Arr(nm, "finalizers");
            var policyFinalizer = o.PropagationPolicy switch
            {
                PropagationPolicy.Orphan => "orphan",
                PropagationPolicy.Foreground => "foregroundDeletion",
                _ => null,
            };
            if (policyFinalizer is not null && (finalizers is null || !finalizers.Any(f => Json.Str(f) == policyFinalizer)))
            {
                if (finalizers is null) nm["finalizers"] = finalizers = new JsonArray();
                finalizers.Add(policyFinalizer);
            }
            var hasFinalizers = finalizers is { Count: > 0 };
            var now = time.GetUtcNow();

            long grace = 0;
            if (s.Type.Group.Length == 0 && s.Type.Kind == "Pod")
            {
                var spec = Json.Obj(current, "spec");
                grace = o.GracePeriodSeconds ?? Json.Long(spec?["terminationGracePeriodSeconds"]) ?? 30;
                var phase = Json.Path(current, "status", "phase");
                if (grace < 0 || string.IsNullOrEmpty(Json.Str(spec, "nodeName")) || phase is "Succeeded" or "Failed") grace = 0;
                var existingGrace = Json.Long(nm["deletionGracePeriodSeconds"]);
                if (grace > 0 && existingGrace is not null && existingGrace <= grace && nm["deletionTimestamp"] is not null)
                    return new DeleteResult(current, true);
            }

            if (grace > 0 || hasFinalizers)
            {
                var existingGrace = Json.Long(nm["deletionGracePeriodSeconds"]);
                if (nm["deletionTimestamp"] is null || existingGrace is null || grace < existingGrace)
                {
                    nm["deletionTimestamp"] = Json.Timestamp(now.AddSeconds(grace));
                    nm["deletionGracePeriodSeconds"] = grace;
                }
                if (JsonNode.DeepEquals(next, current)) return new DeleteResult(current, true);
                if (IsDryRun(o.DryRun)) return new DeleteResult(next, true);
                var rev = await storage.UpdateAsync(key, EncodeFor(s.Type, next), stored.ModRevision, ct).ConfigureAwait(false);
                if (rev is null) continue;
                ObjectCodec.SetResourceVersion(next, rev.Value);
                return new DeleteResult(next, true);
            }

            if (IsDryRun(o.DryRun)) return new DeleteResult(current, false);
            if (CrdRegistrar.IsCrd(s.Type)) await DeleteCustomObjectsAsync(current, s.User, ct).ConfigureAwait(false);
            var deletedAt = await storage.DeleteAsync(key, stored.ModRevision, ct).ConfigureAwait(false);
            if (deletedAt is null) continue;
            if (CrdRegistrar.IsCrd(s.Type)) _crds.Remove(current);
            return new DeleteResult(current, false);
        }
        throw Errors.Conflict(s.Type, name);
    }

    public async Task<ListResult> DeleteCollectionAsync(RequestScope s, ListOptions lo, DeleteOptions o, CancellationToken ct)
    {
        // Upstream's namespace storage has no deletecollection: one request must not terminate every namespace.
        if (IsNamespace(s.Type)) throw Errors.MethodNotAllowed("the server does not allow this method on the requested resource");
        await AuthorizeAsync(s, "deletecollection", ct).ConfigureAwait(false);
        var list = await ListAsync(s, lo with { Limit = null, Continue = null }, ct, authorize: false).ConfigureAwait(false);
        var deleted = new List<JsonObject>();
        foreach (var item in list.Items)
        {
            var scope = s with { Namespace = Json.Namespace(item) ?? s.Namespace, Name = Json.Name(item) };
            try
            {
                var r = await DeleteAsync(scope, o, ct, authorize: false).ConfigureAwait(false);
                deleted.Add(r.Object);
            }
            catch (NotFoundException)
            {
            }
        }
        return new ListResult(deleted, list.Revision, null);
    }
}
