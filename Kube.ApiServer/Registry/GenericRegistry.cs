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

/// <summary>
/// The request pipeline after authentication, shared by HTTP and the in-process client: authorization, decode
/// checks, mutating admission, defaulting and validation, validating admission, then storage. Works on
/// <see cref="JsonObject"/> so every kind (and later CRDs) goes through the same code.
/// </summary>
internal sealed class GenericRegistry(
    ObjectStorage storage,
    WatchCacheManager watchCaches,
    AdmissionChain admission,
    IAuthorizer authorizer,
    ResourceTypeRegistry types,
    TimeProvider time,
    ApiServerOptions options,
    ILogger<GenericRegistry> logger,
    Tables.CustomColumns customColumns,
    CustomSchemas customSchemas,
    CancellationToken stopping)
{
    private const string GenerateNameAlphabet = "bcdfghjklmnpqrstvwxz2456789";
    private readonly CustomSchemas _schemas = customSchemas;
    private readonly CrdRegistrar _crds = new(types, customColumns, customSchemas, logger);

    /// <summary>Called with a namespace's name when it starts (or is asked again) to terminate.</summary>
    public Action<string>? NamespaceTerminating { get; set; }

    private static bool IsNamespace(ResourceType t) => t.Group.Length == 0 && t.Kind == "Namespace";

    /// <summary>Removes a terminating namespace once its contents are gone (the namespace finalizer's last step).</summary>
    public async Task<bool> RemoveTerminatedNamespaceAsync(string name, CancellationToken ct)
    {
        var nsType = types.FindByResource("", "v1", "namespaces");
        if (nsType is null) return true;
        var key = KeyLayout.Bytes(KeyLayout.Key(nsType, null, name));
        for (var attempt = 0; attempt <= options.MaxUpdateRetries; attempt++)
        {
            var stored = await storage.GetAsync(key, ct).ConfigureAwait(false);
            if (stored is null) return true;
            var ns = ObjectCodec.Decode(stored.Value, stored.ModRevision);
            if (Json.Metadata(ns)["deletionTimestamp"] is null) return true;
            if (Json.Arr(Json.Metadata(ns), "finalizers") is { Count: > 0 }) return false;
            if (await storage.DeleteAsync(key, stored.ModRevision, ct).ConfigureAwait(false) is not null) return true;
        }
        return false;
    }

    /// <summary>Registers the custom resources of every stored CustomResourceDefinition (at start).</summary>
    public async Task LoadCustomResourcesAsync(CancellationToken ct)
    {
        var crdType = types.FindByResource("apiextensions.k8s.io", "v1", "customresourcedefinitions");
        if (crdType is null) return;
        var list = await ListAsync(new RequestScope(crdType, null, null, null, UserInfo.Admin), new ListOptions(), ct, authorize: false).ConfigureAwait(false);
        foreach (var crd in list.Items) _crds.Apply(crd);
    }

    public ResourceTypeRegistry Types => types;

    public ObjectStorage Storage => storage;

    // ---------------------------------------------------------------- authorization

    public async ValueTask AuthorizeAsync(RequestScope s, string verb, CancellationToken ct)
    {
        if (s.Subresource is null && !s.Type.Verbs.Contains(verb))
            throw Errors.MethodNotAllowed("the server does not allow this method on the requested resource");
        var attrs = new AuthorizationAttributes(s.User, verb)
        {
            ApiGroup = s.Type.Group,
            Resource = s.Type.Plural,
            Subresource = s.Subresource,
            Namespace = s.Namespace,
            Name = s.Name,
        };
        var decision = await authorizer.AuthorizeAsync(attrs, ct).ConfigureAwait(false);
        if (decision == AuthorizationDecision.Allow) return;
        var res = s.Subresource is null ? s.Type.Plural : $"{s.Type.Plural}/{s.Subresource}";
        var where = s.Namespace is null ? "at the cluster scope" : $"in the namespace \"{s.Namespace}\"";
        throw Errors.Forbidden($"{s.Type.Plural}{(s.Name is null ? "" : $" \"{s.Name}\"")} is forbidden: User \"{s.User.Name}\" cannot {verb} resource \"{res}\" in API group \"{s.Type.Group}\" {where}");
    }

    // ---------------------------------------------------------------- reads

    private byte[] KeyOf(RequestScope s, string name)
    {
        CheckPathSegment("Name", name);
        if (s.Namespace is not null) CheckPathSegment("Namespace", s.Namespace);
        return KeyLayout.Bytes(KeyLayout.Key(StorageTypeOf(s.Type), s.Namespace, name));
    }

    /// <summary>Upstream's IsValidPathSegmentName: a name or namespace may not be '.' or '..' nor contain '/' or '%' (400 BadRequest).</summary>
    internal static void CheckPathSegment(string what, string value)
    {
        string? why = value is "." or ".." ? $"may not be '{value}'"
            : value.Contains('/', StringComparison.Ordinal) ? "may not contain '/'"
            : value.Contains('%', StringComparison.Ordinal) ? "may not contain '%'"
            : null;
        if (why is not null) throw Errors.BadRequest($"{what} parameter invalid: \"{value}\": {why}");
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<ResourceType, EventConversion?> _conversions = new();

    /// <summary>The conversion to the stored form, for kinds stored as another (events.k8s.io Events as core Events).</summary>
    private EventConversion? Conv(ResourceType t) =>
        !EventConversion.Applies(t) ? null
        : _conversions.GetOrAdd(t, _ => types.FindByResource("", "v1", "events") is { } core ? new EventConversion(core) : null);

    private ResourceType StorageTypeOf(ResourceType t) => Conv(t)?.StorageType ?? t;

    private JsonObject DecodeFor(ResourceType t, byte[] value, long rev)
    {
        var o = ObjectCodec.Decode(value, rev);
        return Conv(t) is { } c ? c.FromStorage(o, t) : o;
    }

    private byte[] EncodeFor(ResourceType t, JsonObject o) => ObjectCodec.Encode(Conv(t) is { } c ? c.ToStorage(o) : o);

    private async ValueTask<(JsonObject Obj, long Rev)> ReadAsync(RequestScope s, string name, CancellationToken ct)
    {
        var stored = await storage.GetAsync(KeyOf(s, name), ct).ConfigureAwait(false) ?? throw Errors.NotFound(s.Type, name);
        return (DecodeFor(s.Type, stored.Value, stored.ModRevision), stored.ModRevision);
    }

    public async Task<JsonObject> GetAsync(RequestScope s, CancellationToken ct)
    {
        await AuthorizeAsync(s, "get", ct).ConfigureAwait(false);
        return (await ReadAsync(s, RequireName(s), ct).ConfigureAwait(false)).Obj;
    }

    /// <summary>GET for typed callers: the stored bytes and revision, without building a JSON tree.</summary>
    public async Task<StoredObject> GetStoredAsync(RequestScope s, CancellationToken ct)
    {
        await AuthorizeAsync(s, "get", ct).ConfigureAwait(false);
        var name = RequireName(s);
        var stored = await storage.GetAsync(KeyOf(s, name), ct).ConfigureAwait(false) ?? throw Errors.NotFound(s.Type, name);
        return Conv(s.Type) is null ? stored : stored with { Value = Json.ToUtf8(DecodeFor(s.Type, stored.Value, stored.ModRevision)) };
    }

    private static string RequireName(RequestScope s) =>
        string.IsNullOrEmpty(s.Name) ? throw Errors.BadRequest("resource name may not be empty") : s.Name;

    public async Task<ListResult> ListAsync(RequestScope s, ListOptions o, CancellationToken ct, bool authorize = true)
    {
        var (items, revision, next) = await ListCoreAsync(s, o, static (value, rev, obj) => obj ?? ObjectCodec.Decode(value, rev), ct, authorize).ConfigureAwait(false);
        return new ListResult(items, revision, next);
    }

    /// <summary>
    /// Lists with <paramref name="map"/> turning each stored value into the caller's item; the parsed object is passed
    /// when selectors needed it (otherwise null, so typed callers can deserialize the bytes directly).
    /// </summary>
    public async Task<(List<TItem> Items, long Revision, string? Continue)> ListCoreAsync<TItem>(RequestScope s, ListOptions o,
        Func<byte[], long, JsonObject?, TItem> map, CancellationToken ct, bool authorize = true)
    {
        if (authorize) await AuthorizeAsync(s, "list", ct).ConfigureAwait(false);
        var filter = ObjectFilter.Create(s.Namespace, o.LabelSelector, o.FieldSelector);
        if (s.Namespace is not null) CheckPathSegment("Namespace", s.Namespace);
        // Start the watch cache (without waiting), so the watch after an informer's list is usually served by the shared
        // cache rather than a store watch of its own. Awaiting the start here (abd68ec) queued every list behind the
        // creation lock, which on a busy machine delayed informers' first lists by hundreds of milliseconds (61e6d07).
        if (string.IsNullOrEmpty(o.Continue)) watchCaches.StartInBackground(StorageTypeOf(s.Type));
        var prefix = KeyLayout.Bytes(KeyLayout.ListPrefix(StorageTypeOf(s.Type), s.Namespace));
        var converted = Conv(s.Type) is not null;
        var end = KeyLayout.PrefixEnd(prefix);
        var start = prefix;
        long revision = 0;
        if (!string.IsNullOrEmpty(o.Continue))
        {
            (revision, start) = ContinueToken.Decode(o.Continue);
            if (start.AsSpan().SequenceCompareTo(prefix) < 0 || start.AsSpan().SequenceCompareTo(end) >= 0)
                throw Errors.BadRequest("continue key is not valid: the key is outside the listed range");
        }
        else if (o.ResourceVersionMatch == "Exact" && !string.IsNullOrEmpty(o.ResourceVersion))
        {
            revision = ParseRevision(o.ResourceVersion);
        }
        var limit = o.Limit is > 0 ? o.Limit.Value : 0;
        var items = new List<TItem>();
        string? next = null;
        for (var page = 0; page < 100_000; page++)
        {
            IReadOnlyList<KeyValue> kvs;
            bool more;
            long rev;
            try
            {
                var batch = limit == 0 ? 0 : Math.Max(limit - items.Count, 1) + (filter.HasSelectors ? 64 : 0);
                (kvs, rev, more) = await storage.RangeAsync(start, end, revision, batch, ct).ConfigureAwait(false);
            }
            catch (StoreException e) when (e.Code == StoreErrorCode.Compacted)
            {
                throw string.IsNullOrEmpty(o.Continue)
                    ? Errors.Expired($"too old resource version: {revision} ({e.CompactRevision})")
                    : Errors.Expired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue value from the 410 response.");
            }
            catch (StoreException e) when (e.Code == StoreErrorCode.FutureRevision)
            {
                throw Errors.Timeout($"Too large resource version: {revision}, current: unknown");
            }
            if (revision == 0) revision = rev;
            for (var i = 0; i < kvs.Count; i++)
            {
                var kv = kvs[i];
                JsonObject? obj = null;
                if (filter.HasSelectors || converted)
                {
                    obj = DecodeFor(s.Type, kv.Value, kv.ModRevision);
                    if (!filter.Matches(obj)) continue;
                }
                items.Add(map(kv.Value, kv.ModRevision, obj));
                if (limit > 0 && items.Count >= limit)
                {
                    if (i < kvs.Count - 1 || more) next = ContinueToken.Encode(revision, [.. kv.Key, 0]);
                    return (items, revision, next);
                }
            }
            if (!more || kvs.Count == 0) break;
            start = [.. kvs[^1].Key, 0];
        }
        return (items, revision, null);
    }

    private static long ParseRevision(string rv) =>
        long.TryParse(rv, NumberStyles.None, CultureInfo.InvariantCulture, out var r)
            ? r
            : throw Errors.BadRequest($"invalid resource version \"{rv}\"");

    // ---------------------------------------------------------------- watch

    public async IAsyncEnumerable<WatchItem> WatchAsync(RequestScope s, ListOptions o, [EnumeratorCancellation] CancellationToken ct)
    {
        var stream = await OpenWatchAsync(s, o, ct).ConfigureAwait(false);
        await foreach (var item in stream.WithCancellation(ct).ConfigureAwait(false)) yield return item;
    }

    /// <summary>
    /// Checks and subscribes (errors such as 410 Expired are thrown here, before any event), then returns the
    /// event stream, which must be enumerated to release the subscription.
    /// </summary>
    public async Task<IAsyncEnumerable<WatchItem>> OpenWatchAsync(RequestScope s, ListOptions o, CancellationToken ct)
    {
        await AuthorizeAsync(s, "watch", ct).ConfigureAwait(false);
        var filter = ObjectFilter.Create(s.Namespace, o.LabelSelector, o.FieldSelector);
        var rv = o.ResourceVersion;
        var initial = o.SendInitialEvents ?? (string.IsNullOrEmpty(rv) || rv == "0");
        long from;
        List<JsonObject>? initialItems = null;
        if (initial)
        {
            // Start the cache first, so it holds every change after the list's revision.
            await watchCaches.GetAsync(StorageTypeOf(s.Type), ct).ConfigureAwait(false);
            var list = await ListAsync(s, o with { Limit = null, Continue = null, ResourceVersion = null, ResourceVersionMatch = null }, ct, authorize: false).ConfigureAwait(false);
            from = list.Revision;
            initialItems = list.Items;
        }
        else
        {
            from = ParseRevision(rv!);
        }
        Func<JsonObject, JsonObject>? view = Conv(s.Type) is { } conv ? stored => conv.FromStorage(stored, s.Type) : null;
        var sub = await watchCaches.SubscribeAsync(StorageTypeOf(s.Type), from, filter, view, ct).ConfigureAwait(false);
        return StreamAsync(s, o, sub, from, initialItems, ct);
    }

    private async IAsyncEnumerable<WatchItem> StreamAsync(RequestScope s, ListOptions o, WatchSubscription sub, long from, List<JsonObject>? initialItems,
        [EnumeratorCancellation] CancellationToken ct)
    {
        var timeout = o.TimeoutSeconds is > 0 ? TimeSpan.FromSeconds(o.TimeoutSeconds.Value) : options.MaxWatchTimeout;
        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token, stopping);
        var token = linked.Token;
        try
        {
            if (initialItems is not null)
            {
                foreach (var item in initialItems) yield return new WatchItem(WatchEventType.Added, new ObjectSnapshot(item));
                if (o.SendInitialEvents == true && o.AllowWatchBookmarks)
                    yield return new WatchItem(WatchEventType.Bookmark, Bookmark(s.Type, from, initialEventsEnd: true));
            }
            var reader = sub.Watcher.Reader;
            var lastRevision = from;
            while (!token.IsCancellationRequested)
            {
                var wait = await WaitAsync(reader, o.AllowWatchBookmarks ? options.WatchBookmarkInterval : null, token).ConfigureAwait(false);
                if (wait == WaitOutcome.Cancelled) break;
                if (wait == WaitOutcome.Idle)
                {
                    var current = sub.Cache.CurrentRevision;
                    if (!reader.TryPeek(out _) && current > 0)
                    {
                        lastRevision = Math.Max(lastRevision, current);
                        yield return new WatchItem(WatchEventType.Bookmark, Bookmark(s.Type, lastRevision, false));
                    }
                    continue;
                }
                var ready = wait == WaitOutcome.Ready;
                if (!ready)
                {
                    if (sub.Watcher.Error is KubeApiException api)
                        yield return new WatchItem(WatchEventType.Error, new ObjectSnapshot(StatusJson.ToObject(api.Status)));
                    break;
                }
                while (reader.TryRead(out var item))
                {
                    yield return item;
                }
            }
        }
        finally
        {
            await sub.DisposeAsync().ConfigureAwait(false);
        }
    }

    private enum WaitOutcome { Ready, Closed, Idle, Cancelled }

    private async ValueTask<WaitOutcome> WaitAsync(System.Threading.Channels.ChannelReader<WatchItem> reader, TimeSpan? idle, CancellationToken token)
    {
        if (idle is null)
        {
            try
            {
                return await reader.WaitToReadAsync(token).ConfigureAwait(false) ? WaitOutcome.Ready : WaitOutcome.Closed;
            }
            catch (OperationCanceledException)
            {
                return WaitOutcome.Cancelled;
            }
        }
        using var idleCts = new CancellationTokenSource(idle.Value, time);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(token, idleCts.Token);
        try
        {
            return await reader.WaitToReadAsync(wait.Token).ConfigureAwait(false) ? WaitOutcome.Ready : WaitOutcome.Closed;
        }
        catch (OperationCanceledException)
        {
            return token.IsCancellationRequested ? WaitOutcome.Cancelled : WaitOutcome.Idle;
        }
    }

    private static ObjectSnapshot Bookmark(ResourceType t, long revision, bool initialEventsEnd)
    {
        var meta = new JsonObject { ["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture) };
        if (initialEventsEnd) meta["annotations"] = new JsonObject { ["k8s.io/initial-events-end"] = "true" };
        return new ObjectSnapshot(new JsonObject { ["kind"] = t.Kind, ["apiVersion"] = t.ApiVersion, ["metadata"] = meta });
    }

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
        var causes = ObjectValidator.Validate(s.Type, body, null);
        if (causes.Count > 0) throw Errors.Invalid(s.Type, Json.Name(body), causes);
        await admission.ValidateAsync(request, ct).ConfigureAwait(false);
        name = Json.Name(body);
        if (recordUpdate)
            FieldManager.RecordUpdate(null, body, ManagerOf(o), s.Type.ApiVersion, s.Subresource, FieldManager.ScopeOf(s.Type, s.Subresource), Now());

        if (s.Type.Namespaced) await RequireNamespaceAsync(s.Namespace!, ct).ConfigureAwait(false);
        warnings.AddRange(request.Warnings);
        if (IsDryRun(o.DryRun)) return new WriteResult(body, warnings, true);

        var key = KeyOf(s, name);
        var rev = await storage.CreateAsync(key, EncodeFor(s.Type, body), ct).ConfigureAwait(false)
            ?? throw Errors.AlreadyExists(s.Type, name);
        ObjectCodec.SetResourceVersion(body, rev);
        if (CrdRegistrar.IsCrd(s.Type)) _crds.Apply(body);
        return new WriteResult(body, warnings, true);
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
        var stored = await storage.GetAsync(KeyLayout.Bytes(KeyLayout.Key(nsType, null, ns)), ct).ConfigureAwait(false);
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

            var next = s.Subresource == "status" ? StatusOnly(current, input) : MainUpdate(s.Type, current, input);
            var request = NewAdmission(s, AdmissionOperation.Update, next, current, o, name);
            await admission.MutateAsync(request, ct).ConfigureAwait(false);
            next = request.Object ?? next;
            Defaulting.Apply(s.Type, next);
            if (s.Subresource != "status")
            {
                var causes = ObjectValidator.Validate(s.Type, next, current);
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
            var rev = await storage.UpdateAsync(key, EncodeFor(s.Type, next), stored.ModRevision, ct).ConfigureAwait(false);
            if (rev is null)
            {
                if (precondition) throw Errors.Conflict(s.Type, name);
                continue;
            }
            ObjectCodec.SetResourceVersion(next, rev.Value);
            if (CrdRegistrar.IsCrd(s.Type)) _crds.Apply(next);
            return new WriteResult(next, allWarnings, false);
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
        return ToScale(obj);
    }

    /// <summary>PUT (a whole Scale) or PATCH (a patch of the Scale) of the scale subresource.</summary>
    public async Task<JsonObject> UpdateScaleAsync(RequestScope s, Func<JsonObject, JsonObject> scaleFromCurrent, WriteOptions o, CancellationToken ct,
        bool precondition = false)
    {
        await AuthorizeAsync(s, "update", ct).ConfigureAwait(false);
        var name = RequireName(s);
        var result = await UpdateCoreAsync(s with { Subresource = null }, name, current =>
        {
            var scale = scaleFromCurrent(ToScale(current));
            var replicas = Json.Long(Json.Obj(scale, "spec")?["replicas"]);
            if (replicas is null or < 0)
                throw Errors.Invalid(s.Type, name, [Errors.InvalidValue("spec.replicas", replicas?.ToString(CultureInfo.InvariantCulture), "must be greater than or equal to 0")]);
            Json.EnsureObj(current, "spec")["replicas"] = replicas;
            var rv = Json.Str(Json.Obj(scale, "metadata"), "resourceVersion");
            Json.Metadata(current)["resourceVersion"] = rv ?? "";
            return current;
        }, o, [], precondition, ct).ConfigureAwait(false);
        return ToScale(result.Object);
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
