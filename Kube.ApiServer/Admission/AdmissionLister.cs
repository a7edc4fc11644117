using k8s;
using k8s.Models;
using Kube.ApiServer.Registry;
using Kube.Core.Client;
using Kube.Store;

namespace Kube.ApiServer.Admission;

/// <summary>
/// What upstream's admission plugins read through shared informers' listers: objects from the API server's own watch
/// caches (<see cref="GenericRegistry.CachedObjectsAsync"/>), without a store read, authorization or a request of the
/// loopback client. Where the cache cannot answer, the read is live through the loopback client; a GET the cache
/// answers with "not found" is still tried live, as upstream's plugins do (a namespace or service account another API
/// server created a moment ago). As a lister's, the objects are shared and read-only: each stored version of an object
/// is decoded once (per model type) and handed to every later read while the cache holds that version.
/// </summary>
internal sealed class AdmissionLister(GenericRegistry registry)
{
    // Keyed by the cache's KeyValue of one version (dropped with it): every pod create reads its ServiceAccount and the
    // PriorityClasses, which decoding again per request made a visible part of a create's cost.
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<KeyValue, object> _decoded = [];

    /// <summary>The object, null when it does not exist.</summary>
    public async Task<T?> GetAsync<T>(IKubeClient live, string name, string? ns, CancellationToken ct) where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var (known, kv) = await registry.CachedObjectAsync(registry.Types.For<T>(), ns, name, ct).ConfigureAwait(false);
        return known && kv is not null ? Decode<T>(kv) : await LiveGetAsync<T>(live, name, ns, ct).ConfigureAwait(false);
    }

    /// <summary>The objects of <paramref name="ns"/> (all of a cluster-scoped kind).</summary>
    public async Task<IReadOnlyList<T>> ListAsync<T>(IKubeClient live, string? ns, CancellationToken ct) where T : class, IKubernetesObject<V1ObjectMeta> =>
        await registry.CachedObjectsAsync(registry.Types.For<T>(), ns, ct).ConfigureAwait(false) is { } kvs
            ? [.. kvs.Select(Decode<T>)]
            : (await live.ListAsync<T>(ns, cancellationToken: ct).ConfigureAwait(false)).Items;

    internal static async Task<T?> LiveGetAsync<T>(IKubeClient live, string name, string? ns, CancellationToken ct) where T : class, IKubernetesObject<V1ObjectMeta>
    {
        try
        {
            return await live.GetAsync<T>(name, ns, ct).ConfigureAwait(false);
        }
        catch (KubeApiException e) when ((int)e.StatusCode == 404)
        {
            return null;
        }
    }

    private T Decode<T>(KeyValue kv) where T : class, IKubernetesObject<V1ObjectMeta>
    {
        if (_decoded.TryGetValue(kv, out var cached) && cached.GetType() == typeof(T)) return (T)cached;
        var item = Json.FromUtf8<T>(kv.Value);
        (item.Metadata ??= new V1ObjectMeta()).ResourceVersion = kv.ModRevision.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _decoded.AddOrUpdate(kv, item);
        return item;
    }
}

/// <summary>An admission plugin that reads through the API server's <see cref="AdmissionLister"/> when it runs inside one.</summary>
internal interface IUsesAdmissionLister
{
    void SetLister(AdmissionLister lister);
}

/// <summary>Reads through the lister when there is one; without (a plugin used outside an API server) every read is live.</summary>
internal static class AdmissionListerReads
{
    /// <summary>The object, null when it does not exist (404).</summary>
    public static Task<T?> GetOrLiveAsync<T>(this AdmissionLister? lister, IKubeClient live, string name, string? ns, CancellationToken ct)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        lister is null ? AdmissionLister.LiveGetAsync<T>(live, name, ns, ct) : lister.GetAsync<T>(live, name, ns, ct);

    /// <summary>The objects of <paramref name="ns"/> (all of a cluster-scoped kind).</summary>
    public static async Task<IReadOnlyList<T>> ListOrLiveAsync<T>(this AdmissionLister? lister, IKubeClient live, string? ns, CancellationToken ct)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        lister is null ? (await live.ListAsync<T>(ns, cancellationToken: ct).ConfigureAwait(false)).Items : await lister.ListAsync<T>(live, ns, ct).ConfigureAwait(false);
}
