using k8s;
using k8s.Models;

namespace Kube.Core.Informers;

/// <summary>
/// A shared informer for one resource type (client-go's SharedIndexInformer): a reflector lists, then
/// watches from the list's resourceVersion, resumes after disconnects, relists on 410 Gone, and keeps
/// <see cref="Cache"/> current. Handlers added after start first receive synthetic adds for the cache.
/// </summary>
public interface IInformer<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    IIndexer<T> Cache { get; }

    /// <summary>True once the first list has been delivered to the cache and to every handler.</summary>
    bool HasSynced { get; }

    /// <summary>The resourceVersion of the last event or list the cache has seen.</summary>
    string? LastSyncResourceVersion { get; }

    /// <summary>Adds a handler; returns a registration that removes it when disposed.</summary>
    IDisposable AddEventHandler(IResourceEventHandler<T> handler);

    /// <summary>Waits until <see cref="HasSynced"/> (or the token is cancelled).</summary>
    Task WaitForSyncAsync(CancellationToken cancellationToken);
}
