using System.Reflection;
using k8s;
using k8s.Models;

namespace Kube.Core.Helpers;

/// <summary>Helpers for <c>metadata.ownerReferences</c>, as apimachinery's metav1 helpers and controller-runtime's controllerutil.</summary>
public static class OwnerReferences
{
    /// <summary>
    /// An owner reference to <paramref name="owner"/> with <c>controller: true</c> and <c>blockOwnerDeletion: true</c>.
    /// apiVersion and kind come from the object, or from its model class when the object lacks them.
    /// </summary>
    /// <exception cref="ArgumentException">The owner has no name or uid (it was never stored).</exception>
    public static V1OwnerReference NewControllerRef(IKubernetesObject<V1ObjectMeta> owner, bool blockOwnerDeletion = true)
    {
        var r = NewOwnerRef(owner);
        r.Controller = true;
        r.BlockOwnerDeletion = blockOwnerDeletion;
        return r;
    }

    /// <summary>A plain (non-controller) owner reference to <paramref name="owner"/>.</summary>
    public static V1OwnerReference NewOwnerRef(IKubernetesObject<V1ObjectMeta> owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        var name = owner.Metadata?.Name;
        var uid = owner.Metadata?.Uid;
        if (string.IsNullOrEmpty(name) || string.IsNullOrEmpty(uid))
            throw new ArgumentException("The owner needs metadata.name and metadata.uid (read it from the server first).", nameof(owner));
        var (apiVersion, kind) = ApiVersionKindOf(owner);
        return new V1OwnerReference { ApiVersion = apiVersion, Kind = kind, Name = name, Uid = uid };
    }

    /// <summary>The owner reference with <c>controller: true</c>, or null.</summary>
    public static V1OwnerReference? GetControllerOf(IKubernetesObject<V1ObjectMeta> obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return obj.Metadata?.OwnerReferences?.FirstOrDefault(r => r.Controller == true);
    }

    /// <summary>True when <paramref name="obj"/>'s controller reference points at <paramref name="owner"/> (by uid).</summary>
    public static bool IsControlledBy(IKubernetesObject<V1ObjectMeta> obj, IKubernetesObject<V1ObjectMeta> owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        var c = GetControllerOf(obj);
        return c is not null && !string.IsNullOrEmpty(owner.Metadata?.Uid) && c.Uid == owner.Metadata.Uid;
    }

    /// <summary>True when any owner reference of <paramref name="obj"/> has <paramref name="ownerUid"/>.</summary>
    public static bool HasOwner(IKubernetesObject<V1ObjectMeta> obj, string ownerUid)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return obj.Metadata?.OwnerReferences?.Any(r => r.Uid == ownerUid) == true;
    }

    /// <summary>
    /// Makes <paramref name="owner"/> the controller of <paramref name="obj"/> (replacing a reference to the same owner).
    /// </summary>
    /// <exception cref="InvalidOperationException">Another object already controls <paramref name="obj"/>.</exception>
    public static void SetControllerReference(IKubernetesObject<V1ObjectMeta> obj, IKubernetesObject<V1ObjectMeta> owner, bool blockOwnerDeletion = true)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var reference = NewControllerRef(owner, blockOwnerDeletion);
        var existing = GetControllerOf(obj);
        if (existing is not null && existing.Uid != reference.Uid)
            throw new InvalidOperationException(
                $"{obj.Metadata?.Name} is already controlled by {existing.Kind} \"{existing.Name}\" (uid {existing.Uid}).");
        obj.Metadata ??= new V1ObjectMeta();
        var refs = obj.Metadata.OwnerReferences?.Where(r => r.Uid != reference.Uid).ToList() ?? [];
        refs.Add(reference);
        obj.Metadata.OwnerReferences = refs;
    }

    /// <summary>Removes every owner reference with <paramref name="ownerUid"/>; returns whether one was removed.</summary>
    public static bool RemoveOwnerReference(IKubernetesObject<V1ObjectMeta> obj, string ownerUid)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var refs = obj.Metadata?.OwnerReferences;
        if (refs is null) return false;
        var kept = refs.Where(r => r.Uid != ownerUid).ToList();
        if (kept.Count == refs.Count) return false;
        obj.Metadata!.OwnerReferences = kept.Count == 0 ? null : kept;
        return true;
    }

    private static (string ApiVersion, string Kind) ApiVersionKindOf(IKubernetesObject<V1ObjectMeta> obj)
    {
        if (!string.IsNullOrEmpty(obj.ApiVersion) && !string.IsNullOrEmpty(obj.Kind)) return (obj.ApiVersion, obj.Kind);
        var a = obj.GetType().GetCustomAttribute<KubernetesEntityAttribute>()
            ?? throw new ArgumentException($"{obj.GetType().Name} has no apiVersion/kind and no KubernetesEntity attribute.", nameof(obj));
        return (string.IsNullOrEmpty(a.Group) ? a.ApiVersion : $"{a.Group}/{a.ApiVersion}", a.Kind);
    }
}
