using k8s;
using k8s.Models;

namespace Kube.Core.Helpers;

/// <summary>Helpers for <c>metadata.finalizers</c>. The mutators change the object in memory; write it back yourself.</summary>
public static class Finalizers
{
    public static bool Has(IKubernetesObject<V1ObjectMeta> obj, string finalizer)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return obj.Metadata?.Finalizers?.Contains(finalizer) == true;
    }

    /// <summary>Adds the finalizer; returns false when it was already present.</summary>
    public static bool Add(IKubernetesObject<V1ObjectMeta> obj, string finalizer)
    {
        ArgumentNullException.ThrowIfNull(obj);
        ArgumentException.ThrowIfNullOrEmpty(finalizer);
        if (Has(obj, finalizer)) return false;
        obj.Metadata ??= new V1ObjectMeta();
        obj.Metadata.Finalizers = [.. obj.Metadata.Finalizers ?? [], finalizer];
        return true;
    }

    /// <summary>Removes the finalizer; returns false when it was absent.</summary>
    public static bool Remove(IKubernetesObject<V1ObjectMeta> obj, string finalizer)
    {
        ArgumentNullException.ThrowIfNull(obj);
        if (!Has(obj, finalizer)) return false;
        var kept = obj.Metadata!.Finalizers!.Where(f => f != finalizer).ToList();
        obj.Metadata.Finalizers = kept.Count == 0 ? null : kept;
        return true;
    }

    /// <summary>True once deletion was requested (<c>metadata.deletionTimestamp</c> is set).</summary>
    public static bool IsBeingDeleted(IKubernetesObject<V1ObjectMeta> obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return obj.Metadata?.DeletionTimestamp is not null;
    }
}
