using k8s;
using k8s.Models;

namespace Kube.Core.Informers;

/// <summary>
/// Receives an informer's notifications, as client-go's ResourceEventHandler. Handlers run on the
/// informer's dispatch loop, one notification at a time per handler, and must not block: enqueue a key
/// in a work queue and return.
/// </summary>
public interface IResourceEventHandler<in T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    /// <summary>An object appeared; <paramref name="isInInitialList"/> is true for the first list's items.</summary>
    void OnAdd(T obj, bool isInInitialList);

    /// <summary>An object changed (or a resync re-delivered it: then old and new have the same resourceVersion).</summary>
    void OnUpdate(T oldObj, T newObj);

    /// <summary>
    /// An object went away. When the delete was missed (noticed only on a relist), <paramref name="finalStateUnknown"/>
    /// is true and <paramref name="obj"/> is the last state the cache knew (client-go's tombstone).
    /// </summary>
    void OnDelete(T obj, bool finalStateUnknown);
}
