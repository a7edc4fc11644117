using k8s;
using k8s.Models;

namespace Kube.Controllers.Runtime;

/// <summary>
/// Brings one object of kind <typeparamref name="T"/> (the controller's primary kind) in line with its desired state.
/// Reconcilers are level-based: they read the current state (from informer caches), act idempotently and return.
/// They are never called twice at once for the same request.
/// </summary>
public interface IReconciler<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    /// <summary>Reconciles one object. Throwing means a rate-limited retry.</summary>
    Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken cancellationToken);
}
