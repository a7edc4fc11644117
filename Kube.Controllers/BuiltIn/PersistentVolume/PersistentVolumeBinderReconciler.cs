using k8s.Models;
using Kube.Controllers.Runtime;
using Kube.Core.Client;
using Kube.Core.Events;
using Kube.Core.Informers;
using Microsoft.Extensions.Logging;

namespace Kube.Controllers.BuiltIn.PersistentVolume;

/// <summary>
/// The volume loop of upstream's persistentvolume-binder (syncVolume).
/// <para>A volume without claimRef, or pre-bound to a claim by name only (no UID yet), is Available. A volume whose claim
/// points back at it is Bound. A volume whose claim is gone (or was replaced by a new claim of the same name) is
/// Released and reclaimed by its policy: Retain keeps it Released; Delete deletes the PersistentVolume object (hostPath
/// and local volumes have no storage to delete here; a volume <c>pv.kubernetes.io/provisioned-by</c> an external
/// provisioner is left to that provisioner); Recycle is deprecated and fails (VolumeFailedRecycle). A volume the
/// controller bound to a claim that went to another volume is unbound again (a user's pre-binding keeps its name).</para>
/// </summary>
public sealed partial class PersistentVolumeBinderReconciler : IReconciler<V1PersistentVolume>
{
    private readonly IKubeClient _client;
    private readonly IInformer<V1PersistentVolume> _volumes;
    private readonly IInformer<V1PersistentVolumeClaim> _claims;
    private readonly PersistentVolumeBinder _binder;
    private readonly ILogger<PersistentVolumeBinderReconciler> _logger;

    public PersistentVolumeBinderReconciler(IKubeClient client, ISharedInformerFactory informers, ILogger<PersistentVolumeBinderReconciler> logger,
        IEventRecorder? events = null)
    {
        ArgumentNullException.ThrowIfNull(informers);
        _client = client;
        _volumes = informers.GetInformer<V1PersistentVolume>();
        _claims = informers.GetInformer<V1PersistentVolumeClaim>();
        _binder = new PersistentVolumeBinder(client, events);
        _logger = logger;
    }

    /// <inheritdoc />
    public async Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken cancellationToken)
    {
        var volume = _volumes.Cache.Get(null, request.Name);
        if (volume is null) return ReconcileResult.Done;
        var claimRef = volume.Spec?.ClaimRef;
        if (claimRef is null || string.IsNullOrEmpty(claimRef.Uid))
        {
            await _binder.UpdateVolumePhaseAsync(volume, "Available", null, cancellationToken).ConfigureAwait(false);
            return ReconcileResult.Done;
        }

        var claim = await FindClaimAsync(volume, claimRef, cancellationToken).ConfigureAwait(false);
        if (claim is not null && claim.Metadata.Uid != claimRef.Uid) claim = null; // deleted and created again under the same name

        if (claim is null)
        {
            if (volume.Status?.Phase is not ("Released" or "Failed"))
            {
                LogReleased(volume.Metadata.Name, volume.Spec?.PersistentVolumeReclaimPolicy ?? "");
                volume = await _binder.UpdateVolumePhaseAsync(volume, "Released", null, cancellationToken).ConfigureAwait(false);
            }

            return await ReclaimAsync(volume, cancellationToken).ConfigureAwait(false);
        }

        if (string.IsNullOrEmpty(claim.Spec?.VolumeName))
        {
            // The claim has not caught up with the binding yet; the claim loop (queued by this volume's change) finishes it.
            return ReconcileResult.Done;
        }

        if (claim.Spec.VolumeName == volume.Metadata.Name)
        {
            await _binder.UpdateVolumePhaseAsync(volume, "Bound", null, cancellationToken).ConfigureAwait(false);
            return ReconcileResult.Done;
        }

        // The claim is bound to another volume.
        if (VolumeMatch.HasAnnotation(volume.Metadata, VolumeMatch.ProvisionedByAnnotation) && volume.Spec?.PersistentVolumeReclaimPolicy == "Delete")
        {
            if (volume.Status?.Phase is not ("Released" or "Failed"))
                volume = await _binder.UpdateVolumePhaseAsync(volume, "Released", null, cancellationToken).ConfigureAwait(false);
            return await ReclaimAsync(volume, cancellationToken).ConfigureAwait(false);
        }

        await _binder.UnbindVolumeAsync(volume, cancellationToken).ConfigureAwait(false);
        return ReconcileResult.Done;
    }

    /// <summary>The claim of the reference from the cache; a volume not yet released double-checks with the API server before it is.</summary>
    private async Task<V1PersistentVolumeClaim?> FindClaimAsync(V1PersistentVolume volume, V1ObjectReference claimRef, CancellationToken cancellationToken)
    {
        var claim = _claims.Cache.Get(claimRef.NamespaceProperty, claimRef.Name);
        if (claim is not null || volume.Status?.Phase is "Released" or "Failed") return claim;
        try
        {
            return await _client.GetAsync<V1PersistentVolumeClaim>(claimRef.Name, claimRef.NamespaceProperty, cancellationToken).ConfigureAwait(false);
        }
        catch (NotFoundException)
        {
            return null;
        }
    }

    private async Task<ReconcileResult> ReclaimAsync(V1PersistentVolume volume, CancellationToken cancellationToken)
    {
        switch (volume.Spec?.PersistentVolumeReclaimPolicy)
        {
            case "Retain":
                return ReconcileResult.Done;
            case "Recycle":
                await _binder.UpdateVolumePhaseWithEventAsync(volume, "Failed", EventTypes.Warning, "VolumeFailedRecycle", "No recycler plugin found for the volume!",
                    cancellationToken).ConfigureAwait(false);
                return ReconcileResult.Done;
            case "Delete":
                return await DeleteVolumeAsync(volume, cancellationToken).ConfigureAwait(false);
            default:
                await _binder.UpdateVolumePhaseWithEventAsync(volume, "Failed", EventTypes.Warning, "VolumeUnknownReclaimPolicy",
                    "Volume has unrecognized PersistentVolumeReclaimPolicy", cancellationToken).ConfigureAwait(false);
                return ReconcileResult.Done;
        }
    }

    private async Task<ReconcileResult> DeleteVolumeAsync(V1PersistentVolume volume, CancellationToken cancellationToken)
    {
        if (volume.Metadata.Annotations?.TryGetValue(VolumeMatch.ProvisionedByAnnotation, out var by) == true && !by.StartsWith("kubernetes.io/", StringComparison.Ordinal))
        {
            // An external provisioner made it and deletes it.
            return ReconcileResult.Done;
        }

        // Read the volume again: it may have been rebound since the cache saw it.
        V1PersistentVolume fresh;
        try
        {
            fresh = await _client.GetAsync<V1PersistentVolume>(volume.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (NotFoundException)
        {
            return ReconcileResult.Done;
        }

        if (!await IsReleasedAsync(fresh, cancellationToken).ConfigureAwait(false)) return ReconcileResult.Done;
        LogDeleting(fresh.Metadata.Name);
        try
        {
            await _client.DeleteAsync<V1PersistentVolume>(fresh.Metadata.Name, options: new DeleteOptions { PreconditionUid = fresh.Metadata.Uid },
                cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (NotFoundException)
        {
        }

        return ReconcileResult.Done;
    }

    /// <summary>Upstream's isVolumeReleased: bound by UID to a claim that no longer exists, or that is bound to another volume.</summary>
    private async Task<bool> IsReleasedAsync(V1PersistentVolume volume, CancellationToken cancellationToken)
    {
        var r = volume.Spec?.ClaimRef;
        if (r is null || string.IsNullOrEmpty(r.Uid)) return false;
        V1PersistentVolumeClaim? claim;
        try
        {
            claim = await _client.GetAsync<V1PersistentVolumeClaim>(r.Name, r.NamespaceProperty, cancellationToken).ConfigureAwait(false);
        }
        catch (NotFoundException)
        {
            return true;
        }

        if (claim.Metadata.Uid != r.Uid) return true;
        return !string.IsNullOrEmpty(claim.Spec?.VolumeName) && claim.Spec.VolumeName != volume.Metadata.Name;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "PersistentVolume {Name} is released and reclaim policy {Policy} will be executed")]
    private partial void LogReleased(string name, string policy);

    [LoggerMessage(Level = LogLevel.Information, Message = "PersistentVolume {Name}: reclaim policy Delete, deleting the volume")]
    private partial void LogDeleting(string name);
}
