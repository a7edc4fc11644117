using k8s;
using k8s.Models;
using Kube.Controllers.Internal;
using Kube.Controllers.Runtime;
using Kube.Core.Client;
using Kube.Core.Informers;
using Kube.Core.Resources;

namespace Kube.Controllers.BuiltIn.GarbageCollector;

internal sealed class GarbageCollectedKind<T> : IGarbageCollectedKind
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    /// <summary>The cache index of objects by the uids of their owners.</summary>
    public const string OwnerUidIndex = "kube-controllers/owner-uid";

    private readonly IKubeClient _client;
    private readonly IInformer<T> _informer;
    private readonly bool _indexed;

    public GarbageCollectedKind(IKubeClient client, ISharedInformerFactory informers)
    {
        _client = client;
        _informer = informers.GetInformer<T>();
        (Group, Kind) = KindInfo.Of<T>();
        Namespaced = BuiltInTypes.All.FirstOrDefault(t => t.ClrType == typeof(T))?.Namespaced ?? true;
        try
        {
            _informer.Cache.AddIndexer(OwnerUidIndex, o => o.Metadata?.OwnerReferences?.Select(r => r.Uid) ?? []);
            _indexed = true;
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
        {
            // Already started or already indexed: fall back to scanning the cache.
            _indexed = false;
        }
    }

    public string Group { get; }

    public string Kind { get; }

    public bool Namespaced { get; }

    public bool Matches(V1OwnerReference reference) =>
        reference.Kind == Kind && KindInfo.GroupOf(reference.ApiVersion) == Group;

    public async Task<bool> ExistsAsync(string? @namespace, string name, string uid, CancellationToken cancellationToken)
    {
        var ns = Namespaced ? @namespace : null;
        if (_informer.Cache.Get(ns, name)?.Metadata?.Uid == uid) return true;
        try
        {
            var live = await _client.GetAsync<T>(name, ns, cancellationToken).ConfigureAwait(false);
            return live.Metadata?.Uid == uid;
        }
        catch (NotFoundException)
        {
            return false;
        }
    }

    public IReadOnlyList<IKubernetesObject<V1ObjectMeta>> DependentsOf(string ownerUid)
    {
        if (_indexed)
        {
            try
            {
                return _informer.Cache.ByIndex(OwnerUidIndex, ownerUid);
            }
            catch (Exception ex) when (ex is InvalidOperationException or KeyNotFoundException or ArgumentException)
            {
            }
        }

        return _informer.Cache.List().Where(o => o.Metadata?.OwnerReferences?.Any(r => r.Uid == ownerUid) == true).ToList();
    }

    public async Task<IReadOnlyList<IKubernetesObject<V1ObjectMeta>>> ListDependentsAsync(string? @namespace, string ownerUid, CancellationToken cancellationToken)
    {
        var list = await _client.ListAsync<T>(Namespaced ? @namespace : null, cancellationToken: cancellationToken).ConfigureAwait(false);
        return list.Items.Where(o => o.Metadata?.OwnerReferences?.Any(r => r.Uid == ownerUid) == true).ToList();
    }

    public async Task DeleteAsync(IKubernetesObject<V1ObjectMeta> obj, PropagationPolicy propagation, CancellationToken cancellationToken)
    {
        try
        {
            await _client.DeleteAsync<T>(obj.Metadata.Name, obj.Metadata.NamespaceProperty,
                new DeleteOptions { PropagationPolicy = propagation, PreconditionUid = obj.Metadata.Uid }, cancellationToken).ConfigureAwait(false);
        }
        catch (NotFoundException)
        {
        }
    }

    public async Task RemoveOwnerReferencesAsync(IKubernetesObject<V1ObjectMeta> obj, IReadOnlySet<string> ownerUids, CancellationToken cancellationToken)
    {
        var copy = ObjectCopy.Clone((T)obj);
        var refs = copy.Metadata.OwnerReferences?.Where(r => !ownerUids.Contains(r.Uid)).ToList();
        copy.Metadata.OwnerReferences = refs is { Count: > 0 } ? refs : null;
        try
        {
            await _client.UpdateAsync(copy, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (NotFoundException)
        {
        }
    }

    public void AddWatchTo<TPrimary>(ControllerBuilder<TPrimary> builder, GarbageCollectorGraph graph)
        where TPrimary : class, IKubernetesObject<V1ObjectMeta> =>
        builder.Watches<T>(obj => graph.RelatedRequests<TPrimary>(obj));
}
