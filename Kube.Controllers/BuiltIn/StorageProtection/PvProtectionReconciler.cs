using k8s.Models;
using Kube.Controllers.Internal;
using Kube.Controllers.Runtime;
using Kube.Core.Client;
using Kube.Core.Helpers;
using Kube.Core.Informers;

namespace Kube.Controllers.BuiltIn.StorageProtection;

/// <summary>
/// Upstream's pv-protection controller: every PersistentVolume carries the <c>kubernetes.io/pv-protection</c> finalizer
/// (added here when the StorageObjectInUseProtection admission did not), and a volume being deleted keeps it while its
/// phase is Bound.
/// </summary>
public sealed class PvProtectionReconciler : IReconciler<V1PersistentVolume>
{
    public const string Finalizer = "kubernetes.io/pv-protection";

    private readonly IKubeClient _client;
    private readonly IInformer<V1PersistentVolume> _volumes;

    public PvProtectionReconciler(IKubeClient client, ISharedInformerFactory informers)
    {
        ArgumentNullException.ThrowIfNull(informers);
        _client = client;
        _volumes = informers.GetInformer<V1PersistentVolume>();
    }

    /// <inheritdoc />
    public async Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken cancellationToken)
    {
        var volume = _volumes.Cache.Get(null, request.Name);
        if (volume is null) return ReconcileResult.Done;
        var deleting = volume.Metadata.DeletionTimestamp is not null;
        var has = Finalizers.Has(volume, Finalizer);
        V1PersistentVolume copy;
        if (!deleting && !has)
        {
            copy = ObjectCopy.Clone(volume);
            Finalizers.Add(copy, Finalizer);
        }
        else if (deleting && has && volume.Status?.Phase != "Bound")
        {
            copy = ObjectCopy.Clone(volume);
            Finalizers.Remove(copy, Finalizer);
        }
        else
        {
            return ReconcileResult.Done;
        }

        try
        {
            await _client.UpdateAsync(copy, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (NotFoundException)
        {
        }

        return ReconcileResult.Done;
    }
}
