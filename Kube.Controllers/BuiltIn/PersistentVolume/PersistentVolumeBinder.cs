using k8s.Models;
using Kube.Controllers.Internal;
using Kube.Core.Client;
using Kube.Core.Events;

namespace Kube.Controllers.BuiltIn.PersistentVolume;

/// <summary>
/// The writes of upstream's persistentvolume-binder that both of its loops (claims and volumes) make: binding a volume
/// and a claim to each other (the volume first), rolling a volume's binding back, and the phases of both. Every write
/// carries the resourceVersion it was computed from, so a stale cache costs a conflict and a retry, never a wrong write.
/// </summary>
internal sealed class PersistentVolumeBinder(IKubeClient client, IEventRecorder? events)
{
    public IKubeClient Client { get; } = client;

    public void Record(k8s.IKubernetesObject<V1ObjectMeta> regarding, string type, string reason, string action, string message) =>
        events?.Record(regarding, type, reason, action, message);

    /// <summary>
    /// Binds both sides as upstream's bind(): the volume's claimRef (with <c>bound-by-controller</c> when the controller
    /// chose the volume), the volume's phase Bound, the claim's volumeName and <c>bind-completed</c> (and
    /// <c>bound-by-controller</c> when the controller set the name), then the claim's phase Bound with the volume's access
    /// modes and capacity.
    /// </summary>
    public async Task BindAsync(V1PersistentVolume volume, V1PersistentVolumeClaim claim, CancellationToken cancellationToken)
    {
        volume = await BindVolumeToClaimAsync(volume, claim, cancellationToken).ConfigureAwait(false);
        volume = await UpdateVolumePhaseAsync(volume, "Bound", null, cancellationToken).ConfigureAwait(false);
        claim = await BindClaimToVolumeAsync(claim, volume, cancellationToken).ConfigureAwait(false);
        await UpdateClaimStatusAsync(claim, "Bound", volume, cancellationToken).ConfigureAwait(false);
    }

    private async Task<V1PersistentVolume> BindVolumeToClaimAsync(V1PersistentVolume volume, V1PersistentVolumeClaim claim, CancellationToken cancellationToken)
    {
        var byController = !VolumeMatch.IsVolumeBoundToClaim(volume, claim);
        var copy = ObjectCopy.Clone(volume);
        var dirty = false;
        var r = volume.Spec.ClaimRef;
        if (r is null || r.Name != claim.Metadata.Name || r.NamespaceProperty != claim.Metadata.NamespaceProperty || r.Uid != claim.Metadata.Uid)
        {
            copy.Spec.ClaimRef = new V1ObjectReference
            {
                ApiVersion = "v1",
                Kind = "PersistentVolumeClaim",
                NamespaceProperty = claim.Metadata.NamespaceProperty,
                Name = claim.Metadata.Name,
                Uid = claim.Metadata.Uid,
                ResourceVersion = claim.Metadata.ResourceVersion,
            };
            dirty = true;
        }

        if (byController && !VolumeMatch.HasAnnotation(copy.Metadata, VolumeMatch.BoundByControllerAnnotation))
        {
            copy.Metadata.Annotations ??= new Dictionary<string, string>();
            copy.Metadata.Annotations[VolumeMatch.BoundByControllerAnnotation] = "yes";
            dirty = true;
        }

        return dirty ? await Client.UpdateAsync(copy, cancellationToken: cancellationToken).ConfigureAwait(false) : volume;
    }

    private async Task<V1PersistentVolumeClaim> BindClaimToVolumeAsync(V1PersistentVolumeClaim claim, V1PersistentVolume volume, CancellationToken cancellationToken)
    {
        var copy = ObjectCopy.Clone(claim);
        copy.Metadata.Annotations ??= new Dictionary<string, string>();
        var dirty = false;
        if (claim.Spec.VolumeName != volume.Metadata.Name)
        {
            copy.Spec.VolumeName = volume.Metadata.Name;
            copy.Metadata.Annotations.TryAdd(VolumeMatch.BoundByControllerAnnotation, "yes");
            dirty = true;
        }

        if (copy.Metadata.Annotations.TryAdd(VolumeMatch.BindCompletedAnnotation, "yes")) dirty = true;
        return dirty ? await Client.UpdateAsync(copy, cancellationToken: cancellationToken).ConfigureAwait(false) : claim;
    }

    /// <summary>
    /// Rolls back a binding the claim does not share: a volume the controller bound loses its claimRef and
    /// <c>bound-by-controller</c>; a volume a user pre-bound keeps its claimRef without the UID. It becomes Available.
    /// </summary>
    public async Task UnbindVolumeAsync(V1PersistentVolume volume, CancellationToken cancellationToken)
    {
        var copy = ObjectCopy.Clone(volume);
        if (VolumeMatch.HasAnnotation(volume.Metadata, VolumeMatch.BoundByControllerAnnotation))
        {
            copy.Spec.ClaimRef = null;
            copy.Metadata.Annotations!.Remove(VolumeMatch.BoundByControllerAnnotation);
            if (copy.Metadata.Annotations.Count == 0) copy.Metadata.Annotations = null;
        }
        else
        {
            copy.Spec.ClaimRef.Uid = null;
        }

        var updated = await Client.UpdateAsync(copy, cancellationToken: cancellationToken).ConfigureAwait(false);
        await UpdateVolumePhaseAsync(updated, "Available", null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sets the claim's phase; with a volume its access modes and (when the claim becomes Bound) capacity, without one
    /// clears both. Writes only when something changes.
    /// </summary>
    public async Task<V1PersistentVolumeClaim> UpdateClaimStatusAsync(V1PersistentVolumeClaim claim, string phase, V1PersistentVolume? volume,
        CancellationToken cancellationToken)
    {
        var copy = ObjectCopy.Clone(claim);
        copy.Status ??= new V1PersistentVolumeClaimStatus();
        var old = claim.Status;
        var dirty = false;
        if (old?.Phase != phase)
        {
            copy.Status.Phase = phase;
            dirty = true;
        }

        if (volume is null)
        {
            if (old?.AccessModes is not null || old?.Capacity is not null) dirty = true;
            copy.Status.AccessModes = null;
            copy.Status.Capacity = null;
        }
        else
        {
            var modes = volume.Spec?.AccessModes ?? [];
            if (!(old?.AccessModes ?? []).SequenceEqual(modes))
            {
                copy.Status.AccessModes = [.. modes];
                dirty = true;
            }

            // The capacity is taken when the claim becomes Bound, not after: a difference may be intended (a resize).
            if (old?.Phase != phase && volume.Spec?.Capacity is { } capacity
                && (old?.Capacity is null || !old.Capacity.TryGetValue("storage", out var had) || had.ToDecimal() != VolumeMatch.Capacity(volume)))
            {
                copy.Status.Capacity = new Dictionary<string, ResourceQuantity>(capacity);
                dirty = true;
            }
        }

        return dirty ? await Client.UpdateStatusAsync(copy, cancellationToken: cancellationToken).ConfigureAwait(false) : claim;
    }

    /// <summary>Sets the claim's phase and, only when the phase changes, records the event.</summary>
    public async Task UpdateClaimStatusWithEventAsync(V1PersistentVolumeClaim claim, string phase, string type, string reason, string message,
        CancellationToken cancellationToken)
    {
        if (claim.Status?.Phase == phase) return;
        var updated = await UpdateClaimStatusAsync(claim, phase, null, cancellationToken).ConfigureAwait(false);
        Record(updated, type, reason, "Bind", message);
    }

    /// <summary>Sets the volume's phase and message, when the phase differs.</summary>
    public async Task<V1PersistentVolume> UpdateVolumePhaseAsync(V1PersistentVolume volume, string phase, string? message, CancellationToken cancellationToken)
    {
        if (volume.Status?.Phase == phase) return volume;
        var copy = ObjectCopy.Clone(volume);
        copy.Status ??= new V1PersistentVolumeStatus();
        copy.Status.Phase = phase;
        copy.Status.Message = message;
        return await Client.UpdateStatusAsync(copy, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sets the volume's phase and, only when the phase changes, records the event with the message.</summary>
    public async Task<V1PersistentVolume> UpdateVolumePhaseWithEventAsync(V1PersistentVolume volume, string phase, string type, string reason, string message,
        CancellationToken cancellationToken)
    {
        if (volume.Status?.Phase == phase) return volume;
        var updated = await UpdateVolumePhaseAsync(volume, phase, message, cancellationToken).ConfigureAwait(false);
        Record(updated, type, reason, "Reclaim", message);
        return updated;
    }
}
