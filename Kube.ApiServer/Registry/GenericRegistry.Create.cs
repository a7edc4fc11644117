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
    // ---------------------------------------------------------------- create

    public Task<WriteResult> CreateAsync(RequestScope s, JsonObject body, WriteOptions o, CancellationToken ct) =>
        CreateCoreAsync(s, body, o, recordUpdate: true, ct);

    private async Task<WriteResult> CreateCoreAsync(RequestScope s, JsonObject body, WriteOptions o, bool recordUpdate, CancellationToken ct)
    {
        await AuthorizeAsync(s, "create", ct).ConfigureAwait(false);
        CheckKind(s.Type, body);
        var warnings = CheckFields(s, body, o.FieldValidation);
        var meta = Json.Metadata(body);
        CheckNamespace(s, meta);

        var name = Json.Str(meta, "name");
        if (string.IsNullOrEmpty(name) && Json.Str(meta, "generateName") is { Length: > 0 } generateName)
        {
            name = GenerateName(generateName);
            meta["name"] = name;
        }
        meta["uid"] = Guid.NewGuid().ToString();
        meta["creationTimestamp"] = Json.Timestamp(time.GetUtcNow());
        if (HasGeneration(s.Type, body)) meta["generation"] = 1;
        else meta.Remove("generation");
        meta.Remove("resourceVersion");
        meta.Remove("deletionTimestamp");
        meta.Remove("deletionGracePeriodSeconds");
        meta.Remove("selfLink");
        ResetStatusOnCreate(s.Type, body);

        var request = NewAdmission(s, AdmissionOperation.Create, body, null, o, name);
        await admission.MutateAsync(request, ct).ConfigureAwait(false);
        body = request.Object ?? body;
        Defaulting.Apply(s.Type, body);
        var causes = ObjectValidator.Validate(s.Type, body, null, _schemas);
        if (causes.Count > 0) throw Errors.Invalid(s.Type, Json.Name(body), causes);
        await admission.ValidateAsync(request, ct).ConfigureAwait(false);
        name = Json.Name(body);
        if (recordUpdate)
            FieldManager.RecordUpdate(null, body, ManagerOf(o), s.Type.ApiVersion, s.Subresource, FieldManager.ScopeOf(s.Type, s.Subresource), Now());

        if (s.Type.Namespaced) await RequireNamespaceAsync(s.Namespace!, ct).ConfigureAwait(false);
        warnings.AddRange(request.Warnings);
        if (IsDryRun(o.DryRun)) return new WriteResult(body, warnings, true);

        var key = KeyOf(s, name);
        var encoded = EncodeFor(s.Type, body);
        var rev = await storage.CreateAsync(key, encoded, ct).ConfigureAwait(false)
            ?? throw Errors.AlreadyExists(s.Type, name);
        ObjectCodec.SetResourceVersion(body, rev);
        if (CrdRegistrar.IsCrd(s.Type)) _crds.Apply(body);
        return new WriteResult(body, warnings, true) { Stored = Served(s.Type, key, encoded, rev) };
    }

    private string GenerateName(string prefix)
    {
        if (prefix.Length > 58) prefix = prefix[..58];
        Span<char> suffix = stackalloc char[5];
        for (var i = 0; i < suffix.Length; i++) suffix[i] = GenerateNameAlphabet[Random.Shared.Next(GenerateNameAlphabet.Length)];
        return prefix + new string(suffix);
    }

    private async ValueTask RequireNamespaceAsync(string ns, CancellationToken ct)
    {
        var nsType = types.FindByResource("", "v1", "namespaces");
        if (nsType is null) return;
        // the namespaces' watch cache when it holds the namespace (no store read), else the store
        var (_, cached) = await CachedObjectAsync(nsType, null, ns, ct).ConfigureAwait(false);
        var stored = cached is not null ? new StoredObject(cached.Key, cached.Value, cached.ModRevision)
            : await storage.GetAsync(KeyLayout.Bytes(KeyLayout.Key(nsType, null, ns)), ct).ConfigureAwait(false);
        if (stored is null) throw Errors.NotFound("namespaces", ns);
        if (System.Text.Encoding.UTF8.GetString(stored.Value).Contains("\"deletionTimestamp\"", StringComparison.Ordinal)
            && Json.Metadata(ObjectCodec.Decode(stored.Value, stored.ModRevision))["deletionTimestamp"] is not null)
            throw Errors.Forbidden($"unable to create new content in namespace {ns} because it is being terminated");
    }

    private static void ResetStatusOnCreate(ResourceType t, JsonObject body)
    {
        switch (t.Group, t.Kind)
        {
            case ("", "Pod"):
                body["status"] = new JsonObject { ["phase"] = "Pending", ["qosClass"] = QosClass(Json.Obj(body, "spec")) };
                break;
            case ("apps", "Deployment"):
            case ("apps", "ReplicaSet"):
            case ("apps", "StatefulSet"):
            case ("apps", "DaemonSet"):
            case ("", "Service"):
            case ("batch", "Job"):
                body["status"] = new JsonObject();
                break;
            case ("", "Namespace"):
                // Upstream's namespace strategy: the "kubernetes" finalizer guards the contents' deletion.
                Json.EnsureObj(body, "spec")["finalizers"] = new JsonArray("kubernetes");
                break;
            case ("apiextensions.k8s.io", "CustomResourceDefinition"):
                body["status"] = CrdRegistrar.AcceptedStatus(body, Json.Str(Json.Obj(body, "metadata"), "creationTimestamp") ?? "");
                break;
        }
    }

    private static string QosClass(JsonObject? spec)
    {
        var containers = Json.Arr(spec, "containers")?.OfType<JsonObject>().ToList() ?? [];
        var anyRequests = false;
        var allGuaranteed = containers.Count > 0;
        foreach (var c in containers)
        {
            var res = Json.Obj(c, "resources");
            var req = Json.Obj(res, "requests");
            var lim = Json.Obj(res, "limits");
            if (req is { Count: > 0 } || lim is { Count: > 0 }) anyRequests = true;
            foreach (var r in new[] { "cpu", "memory" })
            {
                var l = Json.Str(lim?[r]);
                var q = Json.Str(req?[r]) ?? l;
                if (l is null || q != l) allGuaranteed = false;
            }
        }
        return !anyRequests ? "BestEffort" : allGuaranteed ? "Guaranteed" : "Burstable";
    }
}
