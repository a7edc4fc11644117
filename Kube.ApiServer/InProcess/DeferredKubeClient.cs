using System.Runtime.CompilerServices;
using k8s;
using k8s.Models;
using Kube.Core.Client;

namespace Kube.ApiServer.InProcess;

/// <summary>The DI-registered <see cref="IKubeClient"/>: waits until the hosted API server has started, then delegates to its in-process client.</summary>
internal sealed class DeferredKubeClient(Func<CancellationToken, Task<IKubeClient>> client) : IKubeClient
{
    public async Task<T> GetAsync<T>(string name, string? @namespace = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        await (await client(cancellationToken).ConfigureAwait(false)).GetAsync<T>(name, @namespace, cancellationToken).ConfigureAwait(false);

    public async Task<KubeList<T>> ListAsync<T>(string? @namespace = null, ListOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        await (await client(cancellationToken).ConfigureAwait(false)).ListAsync<T>(@namespace, options, cancellationToken).ConfigureAwait(false);

    public async IAsyncEnumerable<WatchEvent<T>> WatchAsync<T>(string? @namespace = null, ListOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var c = await client(cancellationToken).ConfigureAwait(false);
        await foreach (var e in c.WatchAsync<T>(@namespace, options, cancellationToken).ConfigureAwait(false)) yield return e;
    }

    public async Task<T> CreateAsync<T>(T obj, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        await (await client(cancellationToken).ConfigureAwait(false)).CreateAsync(obj, options, cancellationToken).ConfigureAwait(false);

    public async Task<T> UpdateAsync<T>(T obj, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        await (await client(cancellationToken).ConfigureAwait(false)).UpdateAsync(obj, options, cancellationToken).ConfigureAwait(false);

    public async Task<T> UpdateStatusAsync<T>(T obj, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        await (await client(cancellationToken).ConfigureAwait(false)).UpdateStatusAsync(obj, options, cancellationToken).ConfigureAwait(false);

    public async Task<T> PatchAsync<T>(string name, string? @namespace, KubePatch patch, string? subresource = null, WriteOptions? options = null,
        CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        await (await client(cancellationToken).ConfigureAwait(false)).PatchAsync<T>(name, @namespace, patch, subresource, options, cancellationToken).ConfigureAwait(false);

    public async Task<T?> DeleteAsync<T>(string name, string? @namespace = null, DeleteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        await (await client(cancellationToken).ConfigureAwait(false)).DeleteAsync<T>(name, @namespace, options, cancellationToken).ConfigureAwait(false);

    public async Task CreateSubresourceAsync<T>(string name, string? @namespace, string subresource, object body, WriteOptions? options = null,
        CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        await (await client(cancellationToken).ConfigureAwait(false)).CreateSubresourceAsync<T>(name, @namespace, subresource, body, options, cancellationToken).ConfigureAwait(false);
}
