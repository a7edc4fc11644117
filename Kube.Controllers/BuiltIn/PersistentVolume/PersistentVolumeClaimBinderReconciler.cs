using k8s.Models;
using Kube.Controllers.Runtime;
using Kube.Core.Client;
using Kube.Core.Events;
using Kube.Core.Informers;
using Microsoft.Extensions.Logging;

namespace Kube.Controllers.BuiltIn.PersistentVolume;

/// <summary>
/// The claim loop of upstream's persistentvolume-binder (syncClaim).
/// <para>An unbound claim (no <c>pv.kubernetes.io/bind-completed</c>) without <c>spec.volumeName</c> gets the best
/// matching volume (see <see cref="VolumeMatch.FindBest"/>); a WaitForFirstConsumer claim only a volume pre-bound to it,
/// the rest is the scheduler's (VolumeBinding binds in PreBind). Without a volume it stays Pending with upstream's event:
/// WaitForFirstConsumer / WaitForPodScheduled, ProvisioningFailed for a missing class or a <c>kubernetes.io/</c>
/// provisioner (none is built in), ExternalProvisioning (and the <c>volume.kubernetes.io/storage-provisioner</c>
/// annotations) for any other provisioner, or FailedBinding "no persistent volumes available for this claim and no
/// storage class is set". A claim naming a volume is bound to it when the volume is free and fits (VolumeMismatch
/// otherwise) or already points back at it (FailedBinding when it points at another claim).</para>
/// <para>A bound claim is kept Bound (its volume repaired when the volume lost its claimRef); it goes Lost with
/// ClaimLost when its volume is gone, or ClaimMisbound when the volume belongs to another claim.</para>
/// <para>Pending claims are looked at again every 15 seconds (upstream's resync) and whenever a volume changes.</para>
/// </summary>
public sealed partial class PersistentVolumeClaimBinderReconciler : IReconciler<V1PersistentVolumeClaim>
{
    /// <summary>Upstream's pvclaimbinder-sync-period.</summary>
    public static readonly TimeSpan ResyncPeriod = TimeSpan.FromSeconds(15);

    private readonly IInformer<V1PersistentVolumeClaim> _claims;
    private readonly IInformer<V1PersistentVolume> _volumes;
    private readonly IInformer<V1StorageClass> _classes;
    private readonly IInformer<V1Pod> _pods;
    private readonly PersistentVolumeBinder _binder;
    private readonly ILogger<PersistentVolumeClaimBinderReconciler> _logger;

    public PersistentVolumeClaimBinderReconciler(IKubeClient client, ISharedInformerFactory informers, ILogger<PersistentVolumeClaimBinderReconciler> logger,
        IEventRecorder? events = null)
    {
        ArgumentNullException.ThrowIfNull(informers);
        _claims = informers.GetInformer<V1PersistentVolumeClaim>();
        _volumes = informers.GetInformer<V1PersistentVolume>();
        _classes = informers.GetInformer<V1StorageClass>();
        _pods = informers.GetInformer<V1Pod>();
        _binder = new PersistentVolumeBinder(client, events);
        _logger = logger;
    }

    /// <inheritdoc />
    public async Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken cancellationToken)
    {
        var claim = _claims.Cache.Get(request.Namespace, request.Name);
        if (claim is null) return ReconcileResult.Done;
        if (VolumeMatch.HasAnnotation(claim.Metadata, VolumeMatch.BindCompletedAnnotation))
        {
            await SyncBoundAsync(claim, cancellationToken).ConfigureAwait(false);
            return ReconcileResult.Done;
        }

        var bound = await SyncUnboundAsync(claim, cancellationToken).ConfigureAwait(false);
        return bound ? ReconcileResult.Done : ReconcileResult.RequeueAfter(ResyncPeriod);
    }

    /// <summary>Returns true when the claim got bound.</summary>
    private async Task<bool> SyncUnboundAsync(V1PersistentVolumeClaim claim, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(claim.Spec?.VolumeName))
        {
            var cls = VolumeMatch.ClaimClass(claim);
            var storageClass = cls.Length > 0 ? _classes.Cache.Get(null, cls) : null;
            var delay = storageClass?.VolumeBindingMode == VolumeMatch.WaitForFirstConsumer;
            var volume = VolumeMatch.FindBest(claim, _volumes.Cache.List(), delay);
            if (volume is not null)
            {
                LogBinding(claim.Metadata.NamespaceProperty ?? "", claim.Metadata.Name, volume.Metadata.Name);
                await _binder.BindAsync(volume, claim, cancellationToken).ConfigureAwait(false);
                return true;
            }

            if (delay && !VolumeMatch.HasAnnotation(claim.Metadata, VolumeMatch.SelectedNodeAnnotation))
            {
                EmitWaitingForConsumer(claim);
            }
            else if (cls.Length > 0)
            {
                claim = await ProvisionAsync(claim, cls, storageClass, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                _binder.Record(claim, EventTypes.Normal, "FailedBinding", "Bind", "no persistent volumes available for this claim and no storage class is set");
            }

            await _binder.UpdateClaimStatusAsync(claim, "Pending", null, cancellationToken).ConfigureAwait(false);
            return false;
        }

        // The user asked for a specific volume.
        var requested = _volumes.Cache.Get(null, claim.Spec.VolumeName);
        if (requested is null)
        {
            await _binder.UpdateClaimStatusAsync(claim, "Pending", null, cancellationToken).ConfigureAwait(false);
            return false;
        }

        if (requested.Spec?.ClaimRef is null)
        {
            if (VolumeMatch.Unsatisfied(requested, claim) is { } why)
            {
                _binder.Record(claim, EventTypes.Warning, "VolumeMismatch", "Bind", $"Cannot bind to requested volume \"{requested.Metadata.Name}\": {why}");
                await _binder.UpdateClaimStatusAsync(claim, "Pending", null, cancellationToken).ConfigureAwait(false);
                return false;
            }

            await _binder.BindAsync(requested, claim, cancellationToken).ConfigureAwait(false);
            return true;
        }

        if (VolumeMatch.IsVolumeBoundToClaim(requested, claim))
        {
            // Pre-bound both ways (by the user or the scheduler): finish the binding.
            await _binder.BindAsync(requested, claim, cancellationToken).ConfigureAwait(false);
            return true;
        }

        _binder.Record(claim, EventTypes.Warning, "FailedBinding", "Bind", $"volume \"{requested.Metadata.Name}\" already bound to a different claim.");
        if (VolumeMatch.HasAnnotation(claim.Metadata, VolumeMatch.BoundByControllerAnnotation))
        {
            throw new InvalidOperationException(
                $"invalid binding of claim \"{claim.Metadata.NamespaceProperty}/{claim.Metadata.Name}\" to volume \"{requested.Metadata.Name}\": volume already claimed by \"{requested.Spec.ClaimRef.NamespaceProperty}/{requested.Spec.ClaimRef.Name}\"");
        }

        await _binder.UpdateClaimStatusAsync(claim, "Pending", null, cancellationToken).ConfigureAwait(false);
        return false;
    }

    private async Task SyncBoundAsync(V1PersistentVolumeClaim claim, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(claim.Spec?.VolumeName))
        {
            await _binder.UpdateClaimStatusWithEventAsync(claim, "Lost", EventTypes.Warning, "ClaimLost",
                "Bound claim has lost reference to PersistentVolume. Data on the volume is lost!", cancellationToken).ConfigureAwait(false);
            return;
        }

        var volume = _volumes.Cache.Get(null, claim.Spec.VolumeName);
        if (volume is null)
        {
            await _binder.UpdateClaimStatusWithEventAsync(claim, "Lost", EventTypes.Warning, "ClaimLost",
                "Bound claim has lost its PersistentVolume. Data on the volume is lost!", cancellationToken).ConfigureAwait(false);
            return;
        }

        if (volume.Spec?.ClaimRef is null || volume.Spec.ClaimRef.Uid == claim.Metadata.Uid)
        {
            // Either the volume came unbound (or the cache has not seen its binding yet), or all is well: bind() repairs
            // what is missing and writes nothing otherwise.
            await _binder.BindAsync(volume, claim, cancellationToken).ConfigureAwait(false);
            return;
        }

        await _binder.UpdateClaimStatusWithEventAsync(claim, "Lost", EventTypes.Warning, "ClaimMisbound",
            "Two claims are bound to the same volume, this one is bound incorrectly", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// No volume fits a claim of a class: there is no in-tree provisioner here, so a <c>kubernetes.io/</c> provisioner
    /// fails as upstream's would without its plugin; any other is an external provisioner the claim is annotated for.
    /// </summary>
    private async Task<V1PersistentVolumeClaim> ProvisionAsync(V1PersistentVolumeClaim claim, string cls, V1StorageClass? storageClass,
        CancellationToken cancellationToken)
    {
        if (storageClass is null)
        {
            _binder.Record(claim, EventTypes.Warning, "ProvisioningFailed", "Provision", $"storageclass.storage.k8s.io \"{cls}\" not found");
            return claim;
        }

        var provisioner = storageClass.Provisioner ?? "";
        if (provisioner.StartsWith("kubernetes.io/", StringComparison.Ordinal))
        {
            _binder.Record(claim, EventTypes.Warning, "ProvisioningFailed", "Provision", $"no volume plugin matched name: {provisioner}");
            return claim;
        }

        if (claim.Metadata.Annotations?.TryGetValue(VolumeMatch.StorageProvisionerAnnotation, out var current) != true || current != provisioner)
        {
            var copy = Internal.ObjectCopy.Clone(claim);
            copy.Metadata.Annotations ??= new Dictionary<string, string>();
            copy.Metadata.Annotations[VolumeMatch.StorageProvisionerAnnotation] = provisioner;
            copy.Metadata.Annotations[VolumeMatch.BetaStorageProvisionerAnnotation] = provisioner;
            claim = await _binder.Client.UpdateAsync(copy, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        _binder.Record(claim, EventTypes.Normal, "ExternalProvisioning", "Provision",
            $"Waiting for a volume to be created either by the external provisioner '{provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.");
        return claim;
    }

    private void EmitWaitingForConsumer(V1PersistentVolumeClaim claim)
    {
        var waiting = _pods.Cache.ByIndex(Indexers.Namespace, claim.Metadata.NamespaceProperty ?? "")
            .Where(p => string.IsNullOrEmpty(p.Spec?.NodeName) && p.Status?.Phase is not ("Succeeded" or "Failed")
                && (p.Spec?.Volumes ?? []).Any(v => v.PersistentVolumeClaim?.ClaimName == claim.Metadata.Name))
            .Select(p => p.Metadata.Name)
            .Order(StringComparer.Ordinal)
            .ToList();
        if (waiting.Count == 0)
            _binder.Record(claim, EventTypes.Normal, "WaitForFirstConsumer", "Bind", "waiting for first consumer to be created before binding");
        else if (waiting.Count == 1)
            _binder.Record(claim, EventTypes.Normal, "WaitForPodScheduled", "Bind", $"waiting for pod {waiting[0]} to be scheduled");
        else
            _binder.Record(claim, EventTypes.Normal, "WaitForPodScheduled", "Bind", $"waiting for pods {string.Join(",", waiting)} to be scheduled");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "PersistentVolumeClaim {Namespace}/{Name}: binding to volume {Volume}")]
    private partial void LogBinding(string @namespace, string name, string volume);
}
