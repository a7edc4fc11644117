using k8s.Models;
using Kube.Core.Helpers;
using Kube.Controllers.Internal;
using Kube.Controllers.Runtime;
using Kube.Core.Client;
using Kube.Core.Informers;
using Microsoft.Extensions.Logging;

namespace Kube.Controllers.BuiltIn.ReplicaSet;

/// <summary>
/// The ReplicaSet controller: keeps <c>spec.replicas</c> active pods that match the selector and are controlled by the
/// ReplicaSet, adopting matching orphans and releasing pods that stopped matching, and reports the status.
/// </summary>
public sealed partial class ReplicaSetReconciler : IReconciler<V1ReplicaSet>
{
    /// <summary>At most this many pods are created or deleted in one sync (upstream's burstReplicas).</summary>
    public const int BurstReplicas = 500;

    private static readonly TimeSpan LiveCheckAfter = TimeSpan.FromSeconds(5);

    private readonly IKubeClient _client;
    private readonly IInformer<V1ReplicaSet> _replicaSets;
    private readonly IInformer<V1Pod> _pods;
    private readonly TimeProvider _time;
    private readonly ILogger<ReplicaSetReconciler> _logger;
    private readonly ReplicaSetExpectations _expectations;

    public ReplicaSetReconciler(IKubeClient client, ISharedInformerFactory informers, TimeProvider time, ILogger<ReplicaSetReconciler> logger)
    {
        ArgumentNullException.ThrowIfNull(informers);
        _client = client;
        _replicaSets = informers.GetInformer<V1ReplicaSet>();
        _pods = informers.GetInformer<V1Pod>();
        _time = time;
        _logger = logger;
        _expectations = new ReplicaSetExpectations(time);
    }

    /// <inheritdoc />
    public async Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken cancellationToken)
    {
        var key = request.ToString();
        var rs = _replicaSets.Cache.Get(request.Namespace, request.Name);
        if (rs is null)
        {
            _expectations.Clear(key);
            return ReconcileResult.Done;
        }

        var ns = rs.Metadata.NamespaceProperty;
        var nsPods = _pods.Cache.ByIndex(Indexers.Namespace, ns ?? "");
        var candidates = nsPods.Where(PodUtil.IsActive).ToList();
        var owned = await ControllerRefManager.ClaimAsync(_client, rs, rs.Spec?.Selector, candidates, cancellationToken).ConfigureAwait(false);

        var pendingAge = _expectations.Pending(
            key,
            name => _pods.Cache.Get(ns, name) is not null,
            uid => !nsPods.Any(p => p.Metadata.Uid == uid && p.Metadata.DeletionTimestamp is null));
        if (pendingAge is { } age && age > LiveCheckAfter)
        {
            // The cache is slow to show our creations: ask the server whether they still exist at all.
            foreach (var name in _expectations.PendingCreates(key))
            {
                try
                {
                    await _client.GetAsync<V1Pod>(name, ns, cancellationToken).ConfigureAwait(false);
                }
                catch (NotFoundException)
                {
                    _expectations.Observed(key, name);
                }
            }

            pendingAge = _expectations.Pending(key, _ => false, _ => false);
        }

        if (pendingAge is null && rs.Metadata.DeletionTimestamp is null)
            await ManageReplicasAsync(key, rs, owned, cancellationToken).ConfigureAwait(false);
        else if (pendingAge is not null)
            LogWaitingForCache(key);

        var (status, untilAvailable) = CalculateStatus(rs, owned);
        await UpdateStatusAsync(rs, status, cancellationToken).ConfigureAwait(false);
        if (pendingAge is not null) return ReconcileResult.RequeueAfter(TimeSpan.FromSeconds(1));
        return untilAvailable is { } wait ? ReconcileResult.RequeueAfter(wait + TimeSpan.FromMilliseconds(100)) : ReconcileResult.Done;
    }

    private async Task ManageReplicasAsync(string key, V1ReplicaSet rs, List<V1Pod> owned, CancellationToken cancellationToken)
    {
        var desired = rs.Spec?.Replicas ?? 1;
        var diff = owned.Count - desired;
        if (diff < 0)
        {
            var toCreate = Math.Min(-diff, BurstReplicas);
            LogScaling(key, "up", toCreate, owned.Count, desired);
            await CreatePodsAsync(key, rs, toCreate, cancellationToken).ConfigureAwait(false);
        }
        else if (diff > 0)
        {
            var toDelete = Math.Min(diff, BurstReplicas);
            LogScaling(key, "down", toDelete, owned.Count, desired);
            var victims = owned.ToList();
            victims.Sort(PodUtil.CompareForDeletion);
            foreach (var pod in victims.Take(toDelete))
            {
                _expectations.ExpectDeleted(key, pod.Metadata.Uid);
                try
                {
                    await _client.DeleteAsync<V1Pod>(pod.Metadata.Name, pod.Metadata.NamespaceProperty,
                        new DeleteOptions { PreconditionUid = pod.Metadata.Uid }, cancellationToken).ConfigureAwait(false);
                }
                catch (NotFoundException)
                {
                }
            }
        }
    }

    /// <summary>Creates pods in batches of 1, 2, 4, ... (upstream's slow start), stopping at the first failing batch.</summary>
    private async Task CreatePodsAsync(string key, V1ReplicaSet rs, int count, CancellationToken cancellationToken)
    {
        var remaining = count;
        for (var batch = 1; remaining > 0; batch *= 2)
        {
            var size = Math.Min(batch, remaining);
            var results = await Task.WhenAll(Enumerable.Range(0, size).Select(_ => CreatePodAsync(key, rs, cancellationToken))).ConfigureAwait(false);
            remaining -= size;
            var failure = results.FirstOrDefault(e => e is not null);
            if (failure is not null) throw failure;
        }
    }

    private async Task<Exception?> CreatePodAsync(string key, V1ReplicaSet rs, CancellationToken cancellationToken)
    {
        var pod = NewPod(rs);
        try
        {
            var created = await _client.CreateAsync(pod, cancellationToken: cancellationToken).ConfigureAwait(false);
            _expectations.ExpectCreated(key, created.Metadata.Name);
            return null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return ex;
        }
    }

    /// <summary>The pod a ReplicaSet creates from its template.</summary>
    internal static V1Pod NewPod(V1ReplicaSet rs)
    {
        var template = rs.Spec?.Template ?? throw new InvalidOperationException($"ReplicaSet {rs.Metadata.Name} has no pod template.");
        var copy = ObjectCopy.Clone(template);
        return new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta
            {
                GenerateName = rs.Metadata.Name + "-",
                NamespaceProperty = rs.Metadata.NamespaceProperty,
                Labels = copy.Metadata?.Labels ?? new Dictionary<string, string>(),
                Annotations = copy.Metadata?.Annotations,
                Finalizers = copy.Metadata?.Finalizers,
                OwnerReferences = [OwnerReferences.NewControllerRef(rs)],
            },
            Spec = copy.Spec,
        };
    }

    private (V1ReplicaSetStatus Status, TimeSpan? UntilAvailable) CalculateStatus(V1ReplicaSet rs, List<V1Pod> owned)
    {
        var now = _time.GetUtcNow();
        var minReady = rs.Spec?.MinReadySeconds ?? 0;
        var templateLabels = rs.Spec?.Template?.Metadata?.Labels ?? new Dictionary<string, string>();
        TimeSpan? untilAvailable = null;
        int fully = 0, ready = 0, available = 0;
        foreach (var p in owned)
        {
            var labels = p.Metadata.Labels ?? new Dictionary<string, string>();
            if (templateLabels.All(kv => labels.TryGetValue(kv.Key, out var v) && v == kv.Value)) fully++;
            if (!PodUtil.IsReady(p)) continue;
            ready++;
            if (PodUtil.IsAvailable(p, minReady, now)) available++;
            else if (PodUtil.TimeUntilAvailable(p, minReady, now) is { } t && (untilAvailable is null || t < untilAvailable)) untilAvailable = t;
        }

        var status = new V1ReplicaSetStatus
        {
            Replicas = owned.Count,
            FullyLabeledReplicas = fully,
            ReadyReplicas = ready,
            AvailableReplicas = available,
            ObservedGeneration = rs.Metadata.Generation,
            Conditions = rs.Status?.Conditions,
        };
        return (status, untilAvailable);
    }

    private async Task UpdateStatusAsync(V1ReplicaSet rs, V1ReplicaSetStatus status, CancellationToken cancellationToken)
    {
        var old = rs.Status;
        if (old is not null
            && old.Replicas == status.Replicas
            && (old.FullyLabeledReplicas ?? 0) == status.FullyLabeledReplicas
            && (old.ReadyReplicas ?? 0) == status.ReadyReplicas
            && (old.AvailableReplicas ?? 0) == status.AvailableReplicas
            && old.ObservedGeneration == status.ObservedGeneration)
            return;

        var copy = ObjectCopy.Clone(rs);
        copy.Status = status;
        try
        {
            await _client.UpdateStatusAsync(copy, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (NotFoundException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "ReplicaSet {Key}: scaling {Direction} by {Count} ({Current} -> {Desired})")]
    private partial void LogScaling(string key, string direction, int count, int current, int desired);

    [LoggerMessage(Level = LogLevel.Debug, Message = "ReplicaSet {Key}: waiting for the pod cache to show earlier creations and deletions")]
    private partial void LogWaitingForCache(string key);
}
