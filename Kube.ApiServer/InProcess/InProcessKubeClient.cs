using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using k8s;
using WatchEventType = Kube.Core.Client.WatchEventType;
using k8s.Models;
using Kube.ApiServer.Registry;
using Kube.Core.Admission;
using Kube.Core.Client;
using Kube.Core.Resources;

namespace Kube.ApiServer.InProcess;

/// <summary>
/// The in-process <see cref="IKubeClient"/>: runs the API server's request pipeline (authorization, admission,
/// defaulting, validation, storage, watch cache) for <see cref="User"/> without HTTP. Objects cross the boundary
/// as JSON through the KubernetesJson serializer, so callers never share instances with the server. Watch events are
/// the exception among callers: every in-process watcher of an event gets the same object (decoded once), which, as
/// client-go's informer objects, must be treated as read-only (copy it before changing it).
/// Create one with <see cref="KubeApiServer.CreateClient"/>.
/// </summary>
public sealed class InProcessKubeClient : IKubeClient
{
    private readonly GenericRegistry _registry;
    private readonly Metrics.ResourceMetricsApi? _resourceMetrics;

    internal InProcessKubeClient(GenericRegistry registry, UserInfo user, Metrics.ResourceMetricsApi? resourceMetrics = null)
    {
        _registry = registry;
        _resourceMetrics = resourceMetrics;
        User = user;
    }

    /// <summary>The identity every request runs as.</summary>
    public UserInfo User { get; }

    private ResourceType TypeOf<T>() => _registry.Types.For<T>();

    /// <summary>
    /// metrics.k8s.io is not stored: reads of a model whose <see cref="KubernetesEntityAttribute"/> names that group
    /// go to the API server's resource-metrics API, as they would over HTTP (the HPA controller reads PodMetrics so).
    /// The caller's model need not be registered with the server.
    /// </summary>
    private bool IsResourceMetrics<T>(out string plural)
    {
        plural = "";
        if (_resourceMetrics is null || ResourceMetricsPlural<T>.Value is not { } p) return false;
        plural = p;
        return true;
    }

    /// <summary>The metrics.k8s.io plural of <typeparamref name="T"/> (null for other models), read once per type: attribute lookups on every call were a visible cost.</summary>
    private static class ResourceMetricsPlural<T>
    {
        public static readonly string? Value =
            Attribute.GetCustomAttribute(typeof(T), typeof(KubernetesEntityAttribute)) is KubernetesEntityAttribute
            {
                Group: Metrics.ResourceMetricsApi.Group, ApiVersion: Metrics.ResourceMetricsApi.Version,
            } entity
                ? entity.PluralName
                : null;
    }

    private RequestScope Scope<T>(string? name, string? ns, string? subresource = null)
    {
        var t = TypeOf<T>();
        return new RequestScope(t, t.Namespaced ? ns : null, name, subresource, User) { TypedInput = true };
    }

    private RequestScope ScopeOf<T>(T obj, string? subresource = null) where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var t = TypeOf<T>();
        var ns = t.Namespaced ? (string.IsNullOrEmpty(obj.Metadata?.NamespaceProperty) ? "default" : obj.Metadata!.NamespaceProperty) : null;
        return new RequestScope(t, ns, obj.Metadata?.Name, subresource, User) { TypedInput = true };
    }

    private static T To<T>(JsonObject obj) => Json.FromNode<T>(obj);

    /// <summary>A write's object: deserialized from the bytes just stored when they are the served form (no serializing of the tree first).</summary>
    private static T To<T>(WriteResult result) where T : class, IKubernetesObject<V1ObjectMeta> =>
        result.Stored is { } stored ? FromStored<T>(stored.Value, stored.ModRevision) : To<T>(result.Object);

    private static T FromStored<T>(byte[] value, long revision) where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var item = Json.FromUtf8<T>(value);
        (item.Metadata ??= new V1ObjectMeta()).ResourceVersion = revision.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return item;
    }

    public async Task<T> GetAsync<T>(string name, string? @namespace = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (IsResourceMetrics<T>(out var metricsPlural))
            return To<T>(await _resourceMetrics!.GetAsync(metricsPlural, @namespace, name, null, null, User, cancellationToken).ConfigureAwait(false));
        var stored = await _registry.GetStoredAsync(Scope<T>(name, @namespace), cancellationToken).ConfigureAwait(false);
        return FromStored<T>(stored.Value, stored.ModRevision);
    }

    public async Task<KubeList<T>> ListAsync<T>(string? @namespace = null, ListOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        if (IsResourceMetrics<T>(out var metricsPlural))
        {
            var list = await _resourceMetrics!.GetAsync(metricsPlural, @namespace, null, options?.LabelSelector, options?.FieldSelector, User, cancellationToken)
                .ConfigureAwait(false);
            var metricsItems = (list["items"] as JsonArray ?? []).OfType<JsonObject>().Select(To<T>).ToList();
            return new KubeList<T>(metricsItems, list["metadata"]?["resourceVersion"]?.GetValue<string>() ?? "", null);
        }
        var (items, revision, next) = await _registry.ListCoreAsync(Scope<T>(null, @namespace), options ?? new ListOptions(),
            static (value, rev, obj) => obj is not null ? To<T>(obj) : FromStored<T>(value, rev), cancellationToken).ConfigureAwait(false);
        return new KubeList<T>(items, revision.ToString(System.Globalization.CultureInfo.InvariantCulture), next);
    }

    public async IAsyncEnumerable<WatchEvent<T>> WatchAsync<T>(string? @namespace = null, ListOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        await foreach (var item in _registry.WatchAsync(Scope<T>(null, @namespace), options ?? new ListOptions(), cancellationToken).ConfigureAwait(false))
        {
            if (item.Type == WatchEventType.Error)
            {
                var status = StatusJson.FromObject(item.Object.Object);
                if (status.Code == 410) throw KubeApiException.FromStatus(status);
                yield return new WatchEvent<T>(WatchEventType.Error, null, status);
                yield break;
            }
            // One instance per event, shared by every in-process watcher of it: informer objects are read-only.
            yield return new WatchEvent<T>(item.Type, item.Object.As<T>());
        }
    }

    public async Task<T> CreateAsync<T>(T obj, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentNullException.ThrowIfNull(obj);
        var result = await _registry.CreateAsync(ScopeOf(obj) with { Name = null }, Json.ToObject(obj), options ?? new WriteOptions(), cancellationToken).ConfigureAwait(false);
        return To<T>(result);
    }

    public async Task<T> UpdateAsync<T>(T obj, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentNullException.ThrowIfNull(obj);
        var result = await _registry.UpdateAsync(ScopeOf(obj), Json.ToObject(obj), options ?? new WriteOptions(), cancellationToken).ConfigureAwait(false);
        return To<T>(result);
    }

    public async Task<T> UpdateStatusAsync<T>(T obj, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentNullException.ThrowIfNull(obj);
        var result = await _registry.UpdateAsync(ScopeOf(obj, "status"), Json.ToObject(obj), options ?? new WriteOptions(), cancellationToken).ConfigureAwait(false);
        return To<T>(result);
    }

    public async Task<T> PatchAsync<T>(string name, string? @namespace, KubePatch patch, string? subresource = null, WriteOptions? options = null,
        CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentNullException.ThrowIfNull(patch);
        var scope = Scope<T>(name, @namespace, subresource);
        if (subresource is not null && !scope.Type.Subresources.Contains(subresource))
            throw Errors.PathNotFound(subresource);
        if (subresource == "scale")
        {
            await _registry.UpdateScaleAsync(scope, s => GenericRegistry.ApplyScalePatch(patch.Type, s, patch.Body), options ?? new WriteOptions(), cancellationToken).ConfigureAwait(false);
            return await GetAsync<T>(name, @namespace, cancellationToken).ConfigureAwait(false);
        }
        var result = await _registry.PatchAsync(scope, patch.Type, patch.Body, options ?? new WriteOptions(), cancellationToken).ConfigureAwait(false);
        return To<T>(result);
    }

    public async Task<T?> DeleteAsync<T>(string name, string? @namespace = null, DeleteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var result = await _registry.DeleteAsync(Scope<T>(name, @namespace), options ?? new DeleteOptions(), cancellationToken).ConfigureAwait(false);
        return result.Remains ? To<T>(result.Object) : null;
    }

    public async Task CreateSubresourceAsync<T>(string name, string? @namespace, string subresource, object body, WriteOptions? options = null,
        CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentNullException.ThrowIfNull(body);
        var scope = Scope<T>(name, @namespace, subresource);
        if (!scope.Type.Subresources.Contains(subresource) || subresource != "binding")
            throw KubeApiException.FromStatus(KubeApiException.NewStatus(404, "NotFound", $"the server could not find the requested resource ({subresource})"));
        var json = body as JsonObject ?? Json.ToObject(body);
        await _registry.BindAsync(scope, json, options ?? new WriteOptions(), cancellationToken).ConfigureAwait(false);
    }
}
