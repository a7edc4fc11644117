using k8s;
using k8s.Models;
using Kube.Core.WorkQueue;

namespace Kube.Core.Informers;

/// <summary>An <see cref="IResourceEventHandler{T}"/> made of delegates; any may be null (the event is ignored).</summary>
public sealed class ResourceEventHandler<T>(
    Action<T, bool>? onAdd = null,
    Action<T, T>? onUpdate = null,
    Action<T, bool>? onDelete = null) : IResourceEventHandler<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    /// <summary>A handler that adds the object's key ("namespace/name" or "name") to <paramref name="queue"/> on every event.</summary>
    public static ResourceEventHandler<T> EnqueueKeys(IWorkQueue<string> queue)
    {
        ArgumentNullException.ThrowIfNull(queue);
        return new ResourceEventHandler<T>(
            (o, _) => queue.Add(Indexers.KeyOf(o)),
            (_, n) => queue.Add(Indexers.KeyOf(n)),
            (o, _) => queue.Add(Indexers.KeyOf(o)));
    }

    public void OnAdd(T obj, bool isInInitialList) => onAdd?.Invoke(obj, isInInitialList);

    public void OnUpdate(T oldObj, T newObj) => onUpdate?.Invoke(oldObj, newObj);

    public void OnDelete(T obj, bool finalStateUnknown) => onDelete?.Invoke(obj, finalStateUnknown);
}
