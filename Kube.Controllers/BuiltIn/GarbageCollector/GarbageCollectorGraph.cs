using k8s;
using k8s.Models;
using Kube.Controllers.Internal;
using Kube.Controllers.Runtime;

namespace Kube.Controllers.BuiltIn.GarbageCollector;

/// <summary>The ownership relations between the tracked kinds, read from their informer caches.</summary>
internal sealed class GarbageCollectorGraph(IEnumerable<IGarbageCollectedKind> kinds)
{
    private readonly IReadOnlyList<IGarbageCollectedKind> _kinds = kinds.ToList();

    public IReadOnlyList<IGarbageCollectedKind> Kinds => _kinds;

    public IGarbageCollectedKind? KindFor(V1OwnerReference reference) => _kinds.FirstOrDefault(k => k.Matches(reference));

    public IGarbageCollectedKind KindOf<T>()
    {
        var (group, kind) = KindInfo.Of<T>();
        return _kinds.First(k => k.Group == group && k.Kind == kind);
    }

    /// <summary>Every cached object, of any tracked kind, that references <paramref name="ownerUid"/>.</summary>
    public IEnumerable<(IGarbageCollectedKind Kind, IKubernetesObject<V1ObjectMeta> Object)> DependentsOf(string ownerUid) =>
        _kinds.SelectMany(k => k.DependentsOf(ownerUid).Select(o => (k, o)));

    /// <summary>
    /// Every object, of any tracked kind, that references <paramref name="ownerUid"/>, listed from the server: used before
    /// an owner's finalizer is removed, so that a dependent the caches have not shown yet is not missed.
    /// </summary>
    public async Task<List<(IGarbageCollectedKind Kind, IKubernetesObject<V1ObjectMeta> Object)>> ListDependentsAsync(string? @namespace, string ownerUid, CancellationToken cancellationToken)
    {
        var result = new List<(IGarbageCollectedKind, IKubernetesObject<V1ObjectMeta>)>();
        foreach (var k in _kinds)
            foreach (var o in await k.ListDependentsAsync(@namespace, ownerUid, cancellationToken).ConfigureAwait(false))
                result.Add((k, o));
        return result;
    }

    /// <summary>
    /// The objects of kind <typeparamref name="TPrimary"/> to look at again when <paramref name="obj"/> changes:
    /// its dependents (they may have lost their owner) and its owners (they may wait for their dependents).
    /// </summary>
    public IEnumerable<ReconcileRequest> RelatedRequests<TPrimary>(IKubernetesObject<V1ObjectMeta> obj)
        where TPrimary : class, IKubernetesObject<V1ObjectMeta>
    {
        var primary = KindOf<TPrimary>();
        if (obj.Metadata?.Uid is { } uid)
            foreach (var d in primary.DependentsOf(uid))
                yield return ReconcileRequest.For(d);
        foreach (var r in obj.Metadata?.OwnerReferences ?? [])
            if (primary.Matches(r))
                yield return new ReconcileRequest(primary.Namespaced ? obj.Metadata!.NamespaceProperty : null, r.Name);
    }
}
