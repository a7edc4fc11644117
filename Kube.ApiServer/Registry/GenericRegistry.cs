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
internal sealed partial class GenericRegistry(
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
    private readonly ObjectStorage storage = storage;
    private readonly WatchCacheManager watchCaches = watchCaches;
    private readonly AdmissionChain admission = admission;
    private readonly IAuthorizer authorizer = authorizer;
    private readonly ResourceTypeRegistry types = types;
    private readonly TimeProvider time = time;
    private readonly ApiServerOptions options = options;
    private readonly ILogger<GenericRegistry> logger = logger;
    private readonly Tables.CustomColumns customColumns = customColumns;
    private readonly CancellationToken stopping = stopping;

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

    private readonly System.Collections.Concurrent.ConcurrentDictionary<ResourceType, IStorageConversion?> _conversions = new();

    /// <summary>
    /// The conversion to the stored form, for kinds stored as another: events.k8s.io Events as core Events, and
    /// autoscaling/v1 HorizontalPodAutoscalers as autoscaling/v2 (upstream's storage version).
    /// </summary>
    private IStorageConversion? Conv(ResourceType t) =>
        EventConversion.Applies(t)
            ? _conversions.GetOrAdd(t, _ => types.FindByResource("", "v1", "events") is { } core ? new EventConversion(core) : null)
        : HorizontalPodAutoscalerConversion.Applies(t)
            ? _conversions.GetOrAdd(t, _ => types.FindByResource("autoscaling", "v2", "horizontalpodautoscalers") is { } v2 ? new HorizontalPodAutoscalerConversion(v2) : null)
        : _schemas.Conversion(t); // custom resources: storage version on write, served version and schema defaults on read

    private ResourceType StorageTypeOf(ResourceType t) => Conv(t)?.StorageType ?? t;

    private JsonObject DecodeFor(ResourceType t, byte[] value, long rev)
    {
        var o = ObjectCodec.Decode(value, rev);
        return Conv(t) is { } c ? c.FromStorage(o, t) : o;
    }

    private byte[] EncodeFor(ResourceType t, JsonObject o) => ObjectCodec.Encode(Conv(t) is { } c ? c.ToStorage(o, t) : o);

    /// <summary>The written value as a <see cref="WriteResult.Stored"/>: null when the stored form is not the served one (a conversion).</summary>
    private StoredObject? Served(ResourceType t, byte[] key, byte[] value, long revision) => Conv(t) is null ? new StoredObject(key, value, revision) : null;

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

    /// <summary>
    /// GET for typed callers and HTTP: the stored bytes and revision, without building a JSON tree. With
    /// <paramref name="anyVersion"/> (upstream's <c>resourceVersion=0</c>: any version may be served) the object comes from
    /// the resource's watch cache when it runs and holds state; otherwise, and always without it (upstream's quorum read), from
    /// the store.
    /// </summary>
    public async Task<StoredObject> GetStoredAsync(RequestScope s, CancellationToken ct, bool anyVersion = false)
    {
        await AuthorizeAsync(s, "get", ct).ConfigureAwait(false);
        var name = RequireName(s);
        var key = KeyOf(s, name);
        if (anyVersion)
        {
            var (known, kv) = await CachedObjectAsync(s.Type, s.Namespace, name, ct).ConfigureAwait(false);
            if (known && kv is null) throw Errors.NotFound(s.Type, name);
            if (kv is not null)
            {
                Interlocked.Increment(ref _cacheGets);
                return new StoredObject(kv.Key, kv.Value, kv.ModRevision);
            }
        }
        var stored = await storage.GetAsync(key, ct).ConfigureAwait(false) ?? throw Errors.NotFound(s.Type, name);
        return Conv(s.Type) is null ? stored : stored with { Value = Json.ToUtf8(DecodeFor(s.Type, stored.Value, stored.ModRevision)) };
    }

    /// <summary>GETs served by the watch cache (<c>resourceVersion=0</c>; for tests).</summary>
    internal long CacheGetCount => Interlocked.Read(ref _cacheGets);

    private long _cacheGets;

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
        if (await TryListFromCacheAsync(s, o, filter, start, end, revision, map, ct).ConfigureAwait(false) is { } fromCache) return fromCache;
        // Start the watch cache (without waiting), so the watch after an informer's list, and later lists, are usually
        // served by the shared cache. Awaiting the start here (abd68ec) queued every list behind the creation lock,
        // which on a busy machine delayed informers' first lists by hundreds of milliseconds (61e6d07).
        if (string.IsNullOrEmpty(o.Continue))
        {
            watchCaches.StartInBackground(StorageTypeOf(s.Type));
            if (o.ResourceVersionMatch == "Exact" && !string.IsNullOrEmpty(o.ResourceVersion)) revision = ParseRevision(o.ResourceVersion);
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

}
