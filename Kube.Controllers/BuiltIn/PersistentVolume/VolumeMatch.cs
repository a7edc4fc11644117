using k8s.Models;
using Kube.Controllers.Internal;

namespace Kube.Controllers.BuiltIn.PersistentVolume;

/// <summary>
/// How a PersistentVolume satisfies a PersistentVolumeClaim, as upstream's volume helpers: the class of either side
/// (<c>spec.storageClassName</c>, else the beta annotation, else ""), capacity, access modes, volume mode, the claim's
/// label selector, and pre-binding in either direction.
/// </summary>
internal static class VolumeMatch
{
    public const string BindCompletedAnnotation = "pv.kubernetes.io/bind-completed";
    public const string BoundByControllerAnnotation = "pv.kubernetes.io/bound-by-controller";
    public const string ProvisionedByAnnotation = "pv.kubernetes.io/provisioned-by";
    public const string BetaClassAnnotation = "volume.beta.kubernetes.io/storage-class";
    public const string SelectedNodeAnnotation = "volume.kubernetes.io/selected-node";
    public const string StorageProvisionerAnnotation = "volume.kubernetes.io/storage-provisioner";
    public const string BetaStorageProvisionerAnnotation = "volume.beta.kubernetes.io/storage-provisioner";
    public const string WaitForFirstConsumer = "WaitForFirstConsumer";

    public static bool HasAnnotation(V1ObjectMeta? meta, string key) => meta?.Annotations?.ContainsKey(key) == true;

    public static string ClaimClass(V1PersistentVolumeClaim claim)
    {
        if (claim.Spec?.StorageClassName is { } name) return name;
        return claim.Metadata?.Annotations?.TryGetValue(BetaClassAnnotation, out var a) == true ? a : "";
    }

    public static string VolumeClass(V1PersistentVolume volume)
    {
        if (volume.Metadata?.Annotations?.TryGetValue(BetaClassAnnotation, out var a) == true) return a;
        return volume.Spec?.StorageClassName ?? "";
    }

    public static decimal Requested(V1PersistentVolumeClaim claim) =>
        claim.Spec?.Resources?.Requests is { } r && r.TryGetValue("storage", out var q) ? q.ToDecimal() : 0m;

    public static decimal Capacity(V1PersistentVolume volume) =>
        volume.Spec?.Capacity is { } c && c.TryGetValue("storage", out var q) ? q.ToDecimal() : 0m;

    /// <summary>True when the volume modes differ (both default to Filesystem).</summary>
    public static bool VolumeModeMismatch(V1PersistentVolumeClaim claim, V1PersistentVolume volume) =>
        (claim.Spec?.VolumeMode ?? "Filesystem") != (volume.Spec?.VolumeMode ?? "Filesystem");

    /// <summary>The volume offers every access mode the claim asks for.</summary>
    public static bool AccessModesMatch(V1PersistentVolumeClaim claim, V1PersistentVolume volume)
    {
        var offered = volume.Spec?.AccessModes ?? [];
        return (claim.Spec?.AccessModes ?? []).All(offered.Contains);
    }

    /// <summary>The volume is pre-bound or bound to this claim: same namespace and name, and the same UID when the reference has one.</summary>
    public static bool IsVolumeBoundToClaim(V1PersistentVolume volume, V1PersistentVolumeClaim claim)
    {
        var r = volume.Spec?.ClaimRef;
        if (r is null || r.Name != claim.Metadata.Name || r.NamespaceProperty != claim.Metadata.NamespaceProperty) return false;
        return string.IsNullOrEmpty(r.Uid) || r.Uid == claim.Metadata.Uid;
    }

    /// <summary>Why a volume the claim asked for by <c>spec.volumeName</c> cannot serve it, or null when it can (upstream's messages).</summary>
    public static string? Unsatisfied(V1PersistentVolume volume, V1PersistentVolumeClaim claim)
    {
        if (volume.Metadata.DeletionTimestamp is not null) return $"the volume is marked for deletion \"{volume.Metadata.Name}\"";
        if (Capacity(volume) < Requested(claim)) return "requested PV is too small";
        if (VolumeClass(volume) != ClaimClass(claim)) return "storageClassName does not match";
        if (VolumeModeMismatch(claim, volume)) return "incompatible volumeMode";
        if (!AccessModesMatch(claim, volume)) return "incompatible accessMode";
        return null;
    }

    /// <summary>
    /// The volume for a claim without <c>spec.volumeName</c>: a volume pre-bound to the claim wins; otherwise the smallest
    /// Available one of the claim's class, volume mode and access modes, with enough capacity and labels the claim's
    /// selector matches. With <paramref name="delayBinding"/> (WaitForFirstConsumer) only pre-bound volumes count: the
    /// scheduler binds the others once it picked a node.
    /// </summary>
    public static V1PersistentVolume? FindBest(V1PersistentVolumeClaim claim, IEnumerable<V1PersistentVolume> volumes, bool delayBinding)
    {
        var requested = Requested(claim);
        var cls = ClaimClass(claim);
        V1PersistentVolume? smallest = null;
        foreach (var volume in volumes.OrderBy(v => v.Metadata.Name, StringComparer.Ordinal))
        {
            var prebound = IsVolumeBoundToClaim(volume, claim);
            if (volume.Spec?.ClaimRef is not null && !prebound) continue;
            var capacity = Capacity(volume);
            if (capacity < requested || VolumeModeMismatch(claim, volume) || volume.Metadata.DeletionTimestamp is not null) continue;
            if (prebound) return volume;
            if (delayBinding) continue;
            if (volume.Status?.Phase != "Available") continue;
            if (claim.Spec?.Selector is { } selector && !Selectors.Matches(selector, volume.Metadata.Labels)) continue;
            if (VolumeClass(volume) != cls || !AccessModesMatch(claim, volume)) continue;
            // Upstream searches the volumes by access-mode sets, the smallest set first, then by capacity.
            if (smallest is null || Rank(volume).CompareTo(Rank(smallest)) < 0) smallest = volume;
        }

        return smallest;
    }

    private static (int Modes, decimal Capacity) Rank(V1PersistentVolume volume) => (volume.Spec?.AccessModes?.Count ?? 0, Capacity(volume));
}
