using k8s;
using k8s.Models;
using Kube.Controllers.Runtime;
using Kube.Core.Client;

namespace Kube.Controllers.BuiltIn.GarbageCollector;

/// <summary>One kind the garbage collector tracks as owner and dependent (through its shared informer).</summary>
internal interface IGarbageCollectedKind
{
    string Group { get; }

    string Kind { get; }

    bool Namespaced { get; }

    /// <summary>True when the reference names this kind (any version of its group).</summary>
    bool Matches(V1OwnerReference reference);

    /// <summary>Whether an object of this kind with this uid exists: first the cache, then (when absent there) the server.</summary>
    Task<bool> ExistsAsync(string? @namespace, string name, string uid, CancellationToken cancellationToken);

    /// <summary>The cached objects of this kind that reference <paramref name="ownerUid"/>.</summary>
    IReadOnlyList<IKubernetesObject<V1ObjectMeta>> DependentsOf(string ownerUid);

    /// <summary>The objects of this kind that reference <paramref name="ownerUid"/>, listed from the server (not the cache).</summary>
    Task<IReadOnlyList<IKubernetesObject<V1ObjectMeta>>> ListDependentsAsync(string? @namespace, string ownerUid, CancellationToken cancellationToken);

    /// <summary>Deletes a dependent (precondition: its uid) with the given propagation; a missing object is fine.</summary>
    Task DeleteAsync(IKubernetesObject<V1ObjectMeta> obj, PropagationPolicy propagation, CancellationToken cancellationToken);

    /// <summary>Removes the owner references to <paramref name="ownerUids"/> from a dependent.</summary>
    Task RemoveOwnerReferencesAsync(IKubernetesObject<V1ObjectMeta> obj, IReadOnlySet<string> ownerUids, CancellationToken cancellationToken);

    /// <summary>Adds a watch of this kind to the garbage-collector controller of <typeparamref name="TPrimary"/>.</summary>
    void AddWatchTo<TPrimary>(ControllerBuilder<TPrimary> builder, GarbageCollectorGraph graph)
        where TPrimary : class, IKubernetesObject<V1ObjectMeta>;
}
