using k8s;
using k8s.Models;
using Kube.Controllers.Internal;
using Kube.Core.Helpers;

namespace Kube.Controllers.BuiltIn.StatefulSet;

/// <summary>
/// <c>spec.persistentVolumeClaimRetentionPolicy</c> as upstream carries it out, through owner references the garbage
/// collector acts on: with <c>whenDeleted: Delete</c> a claim of a pod in the ordinal range is owned by the set (and
/// goes with it); with <c>whenScaled: Delete</c> a claim of a pod scaled away is owned by that pod (and goes when the
/// pod is deleted). Retain (the default for both) removes those references again.
/// </summary>
internal static class StatefulSetClaimRetention
{
    public static bool DeleteWhenDeleted(V1StatefulSet set) => set.Spec.PersistentVolumeClaimRetentionPolicy?.WhenDeleted == "Delete";

    public static bool DeleteWhenScaled(V1StatefulSet set) => set.Spec.PersistentVolumeClaimRetentionPolicy?.WhenScaled == "Delete";

    /// <summary>Sets the claim's owner references for its pod; returns true when they changed.</summary>
    public static bool Apply(V1PersistentVolumeClaim claim, V1StatefulSet set, V1Pod? pod, bool podInRange)
    {
        var changed = false;
        var ownedBySet = DeleteWhenDeleted(set) && (podInRange || !DeleteWhenScaled(set));
        var ownedByPod = DeleteWhenScaled(set) && !podInRange && pod is not null;
        changed |= ownedBySet ? Set(claim, set) : Remove(claim, set.Metadata.Uid);
        if (pod is not null) changed |= ownedByPod ? Set(claim, pod) : Remove(claim, pod.Metadata.Uid);
        return changed;
    }

    private static bool Set(V1PersistentVolumeClaim claim, IKubernetesObject<V1ObjectMeta> owner)
    {
        if (claim.Metadata.OwnerReferences?.Any(r => r.Uid == owner.Metadata.Uid) == true) return false;
        claim.Metadata.OwnerReferences = [.. claim.Metadata.OwnerReferences ?? [], OwnerReferences.NewOwnerRef(owner)];
        return true;
    }

    private static bool Remove(V1PersistentVolumeClaim claim, string uid)
    {
        if (claim.Metadata.OwnerReferences?.Any(r => r.Uid == uid) != true) return false;
        var kept = claim.Metadata.OwnerReferences.Where(r => r.Uid != uid).ToList();
        claim.Metadata.OwnerReferences = kept.Count == 0 ? null : kept;
        return true;
    }

    /// <summary>A copy of the cached claim with the owner references the policy wants, or null when it already has them.</summary>
    public static V1PersistentVolumeClaim? Fixed(V1PersistentVolumeClaim cached, V1StatefulSet set, V1Pod pod, bool podInRange)
    {
        var copy = ObjectCopy.Clone(cached);
        return Apply(copy, set, pod, podInRange) ? copy : null;
    }
}
