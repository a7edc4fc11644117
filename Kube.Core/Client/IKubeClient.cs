using k8s;
using k8s.Models;

namespace Kube.Core.Client;

/// <summary>
/// The one way components reach the cluster. Two implementations exist: <see cref="HttpKubeClient"/>
/// (over HTTP with the KubernetesClient configuration, for any real cluster) and the in-process client
/// of Kube.ApiServer, which runs the same request pipeline without HTTP.
/// </summary>
/// <remarks>
/// <typeparamref name="T"/> is any type registered in <see cref="Resources.ResourceTypeRegistry"/>:
/// the built-in <c>k8s.Models</c> kinds, or custom resources registered by the caller.
/// Failures throw <see cref="KubeApiException"/> (or one of its typed subclasses) carrying the server's <see cref="V1Status"/>.
/// </remarks>
public interface IKubeClient
{
    /// <summary>Reads one object. Throws <see cref="NotFoundException"/> when it does not exist.</summary>
    Task<T> GetAsync<T>(string name, string? @namespace = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>;

    /// <summary>Lists objects in a namespace, or across all namespaces when <paramref name="namespace"/> is null.</summary>
    Task<KubeList<T>> ListAsync<T>(string? @namespace = null, ListOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>;

    /// <summary>
    /// Watches objects from <see cref="ListOptions.ResourceVersion"/>. The sequence ends when the server ends
    /// the watch or the token is cancelled. A too-old resourceVersion throws <see cref="GoneException"/>
    /// (either before the first event or as the server's ERROR event).
    /// </summary>
    IAsyncEnumerable<WatchEvent<T>> WatchAsync<T>(string? @namespace = null, ListOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>;

    /// <summary>Creates an object in the namespace of its metadata (or cluster-scoped).</summary>
    Task<T> CreateAsync<T>(T obj, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>;

    /// <summary>Replaces an object; metadata.resourceVersion, when set, is an optimistic-concurrency precondition (409 Conflict).</summary>
    Task<T> UpdateAsync<T>(T obj, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>;

    /// <summary>Replaces an object's status through the <c>status</c> subresource.</summary>
    Task<T> UpdateStatusAsync<T>(T obj, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>;

    /// <summary>Patches an object, or one of its subresources (for example "status").</summary>
    Task<T> PatchAsync<T>(string name, string? @namespace, KubePatch patch, string? subresource = null, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>;

    /// <summary>
    /// Deletes an object. Returns the object when it still exists afterwards (finalizers pending or
    /// graceful deletion under way), or null when it is gone.
    /// </summary>
    Task<T?> DeleteAsync<T>(string name, string? @namespace = null, DeleteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>;

    /// <summary>POSTs a body to a subresource of an object, for example a <see cref="V1Binding"/> to <c>pods/NAME/binding</c>.</summary>
    Task CreateSubresourceAsync<T>(string name, string? @namespace, string subresource, object body, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>;
}
