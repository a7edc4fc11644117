using k8s.Models;
using Kube.Controllers.Internal;
using Kube.Controllers.Runtime;
using Kube.Core.Client;
using Kube.Core.Helpers;
using Kube.Core.Informers;

namespace Kube.Controllers.BuiltIn.StorageProtection;

/// <summary>
/// Upstream's pvc-protection controller: every PersistentVolumeClaim carries the <c>kubernetes.io/pvc-protection</c>
/// finalizer (added here when the StorageObjectInUseProtection admission did not), and a claim being deleted keeps it
/// while a scheduled pod (<c>spec.nodeName</c> set) names the claim in its volumes. The pods are checked in the cache
/// and then with a live list, so a pod the cache has not seen yet still blocks the removal.
/// </summary>
public sealed class PvcProtectionReconciler : IReconciler<V1PersistentVolumeClaim>
{
    public const string Finalizer = "kubernetes.io/pvc-protection";

    private readonly IKubeClient _client;
    private readonly IInformer<V1PersistentVolumeClaim> _claims;
    private readonly IInformer<V1Pod> _pods;

    public PvcProtectionReconciler(IKubeClient client, ISharedInformerFactory informers)
    {
        ArgumentNullException.ThrowIfNull(informers);
        _client = client;
        _claims = informers.GetInformer<V1PersistentVolumeClaim>();
        _pods = informers.GetInformer<V1Pod>();
    }

    /// <summary>The claims a pod's volumes name, for queueing the claims when the pod changes or goes away.</summary>
    public static IEnumerable<ReconcileRequest> ClaimsOf(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        return (pod.Spec?.Volumes ?? [])
            .Where(v => v.PersistentVolumeClaim is not null)
            .Select(v => new ReconcileRequest(pod.Metadata.NamespaceProperty, v.PersistentVolumeClaim.ClaimName))
            .Distinct();
    }

    /// <inheritdoc />
    public async Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken cancellationToken)
    {
        var claim = _claims.Cache.Get(request.Namespace, request.Name);
        if (claim is null) return ReconcileResult.Done;
        var deleting = claim.Metadata.DeletionTimestamp is not null;
        var has = Finalizers.Has(claim, Finalizer);
        if (!deleting && !has)
        {
            var copy = ObjectCopy.Clone(claim);
            Finalizers.Add(copy, Finalizer);
            await UpdateAsync(copy, cancellationToken).ConfigureAwait(false);
            return ReconcileResult.Done;
        }

        if (!deleting || !has) return ReconcileResult.Done;
        var ns = claim.Metadata.NamespaceProperty ?? "";
        if (_pods.Cache.ByIndex(Indexers.Namespace, ns).Any(p => UsesClaim(p, claim.Metadata.Name))) return ReconcileResult.Done;
        var live = await _client.ListAsync<V1Pod>(ns, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (live.Items.Any(p => UsesClaim(p, claim.Metadata.Name))) return ReconcileResult.Done;

        var unused = ObjectCopy.Clone(claim);
        Finalizers.Remove(unused, Finalizer);
        await UpdateAsync(unused, cancellationToken).ConfigureAwait(false);
        return ReconcileResult.Done;
    }

    /// <summary>A scheduled pod naming the claim: the kubelet does not start pods whose claim is being deleted, so unscheduled ones do not count.</summary>
    private static bool UsesClaim(V1Pod pod, string claim) =>
        !string.IsNullOrEmpty(pod.Spec?.NodeName) && (pod.Spec.Volumes ?? []).Any(v => v.PersistentVolumeClaim?.ClaimName == claim);

    private async Task UpdateAsync(V1PersistentVolumeClaim claim, CancellationToken cancellationToken)
    {
        try
        {
            await _client.UpdateAsync(claim, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (NotFoundException)
        {
        }
    }
}
