using k8s;
using k8s.Models;
using Kube.Controllers.Internal;
using Kube.Controllers.Runtime;
using Kube.Core.Client;
using Kube.Core.Informers;
using Microsoft.Extensions.Logging;

namespace Kube.Controllers.BuiltIn.GarbageCollector;

/// <summary>
/// The garbage collector for one kind. As an owner being deleted it honours the <c>orphan</c> finalizer (dependents lose
/// their owner reference) and the <c>foregroundDeletion</c> finalizer (dependents are deleted, and the finalizer goes once
/// no dependent with blockOwnerDeletion remains). As a dependent it is deleted in the background once none of its owners
/// exists any more; references to owners that are gone while others remain are removed.
/// </summary>
internal sealed partial class GarbageCollectorReconciler<T> : IReconciler<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    public const string OrphanFinalizer = "orphan";
    public const string ForegroundFinalizer = "foregroundDeletion";

    private readonly IKubeClient _client;
    private readonly IInformer<T> _informer;
    private readonly GarbageCollectorGraph _graph;
    private readonly ILogger<GarbageCollectorReconciler<T>> _logger;

    public GarbageCollectorReconciler(IKubeClient client, ISharedInformerFactory informers, GarbageCollectorGraph graph, ILogger<GarbageCollectorReconciler<T>> logger)
    {
        _client = client;
        _informer = informers.GetInformer<T>();
        _graph = graph;
        _logger = logger;
    }

    public async Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken cancellationToken)
    {
        var obj = _informer.Cache.Get(request.Namespace, request.Name);
        if (obj is null) return ReconcileResult.Done;

        if (obj.Metadata.DeletionTimestamp is not null)
        {
            var finalizers = obj.Metadata.Finalizers ?? [];
            if (finalizers.Contains(OrphanFinalizer))
            {
                await OrphanDependentsAsync(obj, cancellationToken).ConfigureAwait(false);
                return ReconcileResult.Done;
            }

            if (finalizers.Contains(ForegroundFinalizer))
                return await DeleteDependentsInForegroundAsync(obj, cancellationToken).ConfigureAwait(false);
        }

        await CollectIfOrphanedAsync(obj, cancellationToken).ConfigureAwait(false);
        return ReconcileResult.Done;
    }

    private async Task OrphanDependentsAsync(T owner, CancellationToken ct)
    {
        var uids = new HashSet<string>(StringComparer.Ordinal) { owner.Metadata.Uid };
        foreach (var (kind, dependent) in await _graph.ListDependentsAsync(owner.Metadata.NamespaceProperty, owner.Metadata.Uid, ct).ConfigureAwait(false))
            await kind.RemoveOwnerReferencesAsync(dependent, uids, ct).ConfigureAwait(false);
        LogOrphaned(Indexers.KeyOf(owner));
        await RemoveFinalizerAsync(owner, OrphanFinalizer, ct).ConfigureAwait(false);
    }

    private async Task<ReconcileResult> DeleteDependentsInForegroundAsync(T owner, CancellationToken ct)
    {
        var uid = owner.Metadata.Uid;
        var blocking = 0;
        foreach (var (kind, dependent) in await _graph.ListDependentsAsync(owner.Metadata.NamespaceProperty, uid, ct).ConfigureAwait(false))
        {
            var reference = dependent.Metadata.OwnerReferences!.First(r => r.Uid == uid);
            if (reference.BlockOwnerDeletion == true) blocking++;
            if (dependent.Metadata.DeletionTimestamp is not null) continue;
            var hasOwnDependents = _graph.DependentsOf(dependent.Metadata.Uid).Any();
            await kind.DeleteAsync(dependent, hasOwnDependents ? PropagationPolicy.Foreground : PropagationPolicy.Background, ct).ConfigureAwait(false);
        }

        if (blocking > 0)
        {
            // Dependents' deletions requeue the owner through the watches; poll as well in case one was missed.
            return ReconcileResult.RequeueAfter(TimeSpan.FromSeconds(2));
        }

        LogForegroundDone(Indexers.KeyOf(owner));
        await RemoveFinalizerAsync(owner, ForegroundFinalizer, ct).ConfigureAwait(false);
        return ReconcileResult.Done;
    }

    private async Task CollectIfOrphanedAsync(T obj, CancellationToken ct)
    {
        var references = obj.Metadata.OwnerReferences;
        if (references is null || references.Count == 0) return;
        var absent = new HashSet<string>(StringComparer.Ordinal);
        var present = 0;
        foreach (var r in references)
        {
            var kind = _graph.KindFor(r);
            // An owner of a kind the collector does not track is assumed to exist.
            if (kind is null || await kind.ExistsAsync(obj.Metadata.NamespaceProperty, r.Name, r.Uid, ct).ConfigureAwait(false))
                present++;
            else
                absent.Add(r.Uid);
        }

        if (absent.Count == 0) return;
        var self = _graph.KindOf<T>();
        if (present == 0)
        {
            if (obj.Metadata.DeletionTimestamp is not null) return;
            LogCollecting(KindInfo.KindOf<T>(), Indexers.KeyOf(obj));
            await self.DeleteAsync(obj, PropagationPolicy.Background, ct).ConfigureAwait(false);
        }
        else
        {
            await self.RemoveOwnerReferencesAsync(obj, absent, ct).ConfigureAwait(false);
        }
    }

    private async Task RemoveFinalizerAsync(T owner, string finalizer, CancellationToken ct)
    {
        var copy = ObjectCopy.Clone(owner);
        copy.Metadata.Finalizers = copy.Metadata.Finalizers?.Where(f => f != finalizer).ToList();
        try
        {
            await _client.UpdateAsync(copy, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (NotFoundException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Garbage collector: deleting {Kind} {Key}, whose owners are all gone")]
    private partial void LogCollecting(string kind, string key);

    [LoggerMessage(Level = LogLevel.Information, Message = "Garbage collector: orphaned the dependents of {Key}")]
    private partial void LogOrphaned(string key);

    [LoggerMessage(Level = LogLevel.Information, Message = "Garbage collector: the blocking dependents of {Key} are gone; removing foregroundDeletion")]
    private partial void LogForegroundDone(string key);
}
