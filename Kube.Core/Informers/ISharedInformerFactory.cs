using k8s;
using k8s.Models;

namespace Kube.Core.Informers;

/// <summary>
/// Hands out one shared informer per (type, namespace, selectors), so that N controllers watching pods
/// share one watch. Informers requested before <see cref="Start"/> start with it; later ones start at once.
/// </summary>
public interface ISharedInformerFactory
{
    /// <summary>The informer for <typeparamref name="T"/>, across all namespaces unless <paramref name="namespace"/> is set.</summary>
    IInformer<T> GetInformer<T>(string? @namespace = null, string? labelSelector = null, string? fieldSelector = null)
        where T : class, IKubernetesObject<V1ObjectMeta>;

    /// <summary>Starts every informer obtained so far; they run until <paramref name="stoppingToken"/> is cancelled.</summary>
    void Start(CancellationToken stoppingToken);

    /// <summary>Waits until every started informer has synced.</summary>
    Task WaitForCacheSyncAsync(CancellationToken cancellationToken);
}
