using k8s.Models;
using Kube.Controllers.Internal;
using Kube.Controllers.Runtime;
using Kube.Core.Client;
using Kube.Core.Events;
using Kube.Core.Helpers;
using Kube.Core.Informers;
using Microsoft.Extensions.Logging;

namespace Kube.Controllers.BuiltIn.StatefulSet;

/// <summary>
/// The StatefulSet controller: pods <c>&lt;set&gt;-&lt;ordinal&gt;</c> with stable hostnames and one PVC per
/// volumeClaimTemplate and ordinal; OrderedReady (one at a time, in order, each Running and Ready before the next;
/// scale-down from the highest ordinal) or Parallel pod management; RollingUpdate from the highest ordinal down to the
/// partition, or OnDelete; ControllerRevisions for currentRevision / updateRevision, with revisionHistoryLimit;
/// persistentVolumeClaimRetentionPolicy through owner references on the claims (see <see cref="StatefulSetClaimRetention"/>).
/// </summary>
public sealed partial class StatefulSetReconciler : IReconciler<V1StatefulSet>
{
    private readonly IKubeClient _client;
    private readonly RevisionedPodSet<V1StatefulSet> _set;
    private readonly IInformer<V1PersistentVolumeClaim> _claims;
    private readonly TimeProvider _time;
    private readonly ILogger<StatefulSetReconciler> _logger;
    private readonly IEventRecorder? _events;

    public StatefulSetReconciler(IKubeClient client, ISharedInformerFactory informers, TimeProvider time, ILogger<StatefulSetReconciler> logger,
        IEventRecorder? events = null)
    {
        ArgumentNullException.ThrowIfNull(informers);
        _client = client;
        _set = new RevisionedPodSet<V1StatefulSet>(client, informers, set => set.Spec.Selector, set => set.Spec.Template, set => set.Status?.CollisionCount);
        _claims = informers.GetInformer<V1PersistentVolumeClaim>();
        _time = time;
        _logger = logger;
        _events = events;
    }

    /// <inheritdoc />
    public Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken cancellationToken) =>
        _set.ReconcileAsync(request, SyncAsync, cancellationToken);

    private async Task<ReconcileResult> SyncAsync(RevisionedPodSet<V1StatefulSet>.State state, V1ControllerRevision update, CancellationToken cancellationToken)
    {
        var (set, _, pods, revisions, _) = state;
        var currentName = set.Status?.CurrentRevision is { Length: > 0 } c ? c : update.Metadata.Name;
        var current = revisions.FirstOrDefault(r => r.Metadata.Name == currentName) ?? update;
        var currentTemplate = ControllerHistory.TemplateOf(current) ?? set.Spec.Template;

        await ApplyClaimRetentionAsync(set, pods, cancellationToken).ConfigureAwait(false);
        var changed = await ManagePodsAsync(set, pods, current.Metadata.Name, currentTemplate, update.Metadata.Name, cancellationToken).ConfigureAwait(false);
        await UpdateStatusAsync(set, pods, current.Metadata.Name, update.Metadata.Name, cancellationToken).ConfigureAwait(false);
        await CleanupRevisionsAsync(set, revisions, pods, current.Metadata.Name, update.Metadata.Name, cancellationToken).ConfigureAwait(false);
        if (changed) return ReconcileResult.RequeueAfter(TimeSpan.FromSeconds(1));

        // minReadySeconds: look again when the next ready pod becomes available, so that availableReplicas follows.
        var now = _time.GetUtcNow();
        var next = pods.Select(p => PodUtil.TimeUntilAvailable(p, set.Spec.MinReadySeconds ?? 0, now)).Where(t => t is not null).Min();
        return next is { } wait ? ReconcileResult.RequeueAfter(wait + TimeSpan.FromMilliseconds(100)) : ReconcileResult.Done;
    }

    /// <summary>Creates, replaces, deletes and updates pods by the set's policies; returns true when it acted.</summary>
    private async Task<bool> ManagePodsAsync(V1StatefulSet set, List<V1Pod> pods, string currentRevision, V1PodTemplateSpec currentTemplate,
        string updateRevision, CancellationToken cancellationToken)
    {
        var replicas = set.Spec.Replicas ?? 1;
        var start = set.Spec.Ordinals?.Start ?? 0;
        var parallel = set.Spec.PodManagementPolicy == "Parallel";
        var rolling = set.Spec.UpdateStrategy?.Type != "OnDelete";
        var partition = rolling ? set.Spec.UpdateStrategy?.RollingUpdate?.Partition ?? 0 : 0;
        var byOrdinal = new Dictionary<int, V1Pod>();
        var condemned = new List<V1Pod>();
        foreach (var pod in pods)
        {
            if (StatefulSetPods.OrdinalOf(set, pod) is not { } ord) continue;
            if (ord >= start && ord < start + replicas) byOrdinal[ord] = pod;
            else condemned.Add(pod);
        }

        var acted = false;
        for (var ord = start; ord < start + replicas; ord++)
        {
            if (!byOrdinal.TryGetValue(ord, out var pod))
            {
                var useCurrent = rolling && ord - start < partition && currentRevision != updateRevision;
                await CreatePodAsync(set, useCurrent ? currentTemplate : set.Spec.Template, useCurrent ? currentRevision : updateRevision, ord, cancellationToken)
                    .ConfigureAwait(false);
                acted = true;
                if (!parallel) return true;
                continue;
            }

            if (StatefulSetPods.IsTerminated(pod) && pod.Metadata.DeletionTimestamp is null)
            {
                // A failed (or exited) pod is deleted and created again with the same identity.
                await DeletePodAsync(set, pod, cancellationToken).ConfigureAwait(false);
                acted = true;
                if (!parallel) return true;
                continue;
            }

            if (!parallel && !StatefulSetPods.IsRunningAndReady(pod)) return acted;
        }

        // Scale down from the highest ordinal; OrderedReady waits for every other pod to be healthy and deletes one at a time.
        condemned.Sort((a, b) => (StatefulSetPods.OrdinalOf(set, b) ?? 0).CompareTo(StatefulSetPods.OrdinalOf(set, a) ?? 0));
        foreach (var pod in condemned)
        {
            if (pod.Metadata.DeletionTimestamp is not null)
            {
                if (!parallel) return true;
                continue;
            }

            if (!parallel && byOrdinal.Values.Any(p => !StatefulSetPods.IsRunningAndReady(p))) return acted;
            await DeletePodAsync(set, pod, cancellationToken).ConfigureAwait(false);
            acted = true;
            if (!parallel) return true;
        }

        if (!rolling || currentRevision == updateRevision && byOrdinal.Values.All(p => StatefulSetPods.RevisionOf(p) == updateRevision)) return acted;

        // RollingUpdate: from the highest ordinal down to the partition, one pod at a time once all are Running and Ready.
        if (byOrdinal.Count < replicas || byOrdinal.Values.Any(p => !StatefulSetPods.IsRunningAndReady(p))) return acted;
        for (var ord = start + replicas - 1; ord >= start + partition; ord--)
        {
            var pod = byOrdinal[ord];
            if (StatefulSetPods.RevisionOf(pod) == updateRevision) continue;
            LogUpdating(set.Metadata.NamespaceProperty ?? "", set.Metadata.Name, pod.Metadata.Name, updateRevision);
            await DeletePodAsync(set, pod, cancellationToken).ConfigureAwait(false);
            return true;
        }

        return acted;
    }

    /// <summary>
    /// Gives each pod's claims the owner references of the set's persistentVolumeClaimRetentionPolicy (before condemned
    /// pods are deleted, so that the garbage collector takes their claims with them when whenScaled is Delete).
    /// </summary>
    private async Task ApplyClaimRetentionAsync(V1StatefulSet set, List<V1Pod> pods, CancellationToken cancellationToken)
    {
        if (set.Spec.VolumeClaimTemplates is not { Count: > 0 } templates) return;
        var start = set.Spec.Ordinals?.Start ?? 0;
        var replicas = set.Spec.Replicas ?? 1;
        foreach (var pod in pods)
        {
            if (StatefulSetPods.OrdinalOf(set, pod) is not { } ordinal) continue;
            var inRange = ordinal >= start && ordinal < start + replicas;
            foreach (var template in templates)
            {
                var cached = _claims.Cache.Get(set.Metadata.NamespaceProperty, StatefulSetPods.ClaimName(template, set, ordinal));
                if (cached is null || cached.Metadata.DeletionTimestamp is not null) continue;
                if (StatefulSetClaimRetention.Fixed(cached, set, pod, inRange) is not { } update) continue;
                try
                {
                    await _client.UpdateAsync(update, cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                catch (NotFoundException)
                {
                }
            }
        }
    }

    private async Task CreatePodAsync(V1StatefulSet set, V1PodTemplateSpec template, string revision, int ordinal, CancellationToken cancellationToken)
    {
        foreach (var claim in set.Spec.VolumeClaimTemplates ?? [])
        {
            try
            {
                var pvc = StatefulSetPods.NewClaim(set, claim, ordinal);
                StatefulSetClaimRetention.Apply(pvc, set, pod: null, podInRange: true);
                await _client.CreateAsync(pvc, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (AlreadyExistsException)
            {
            }
        }

        var pod = StatefulSetPods.NewPod(set, template, revision, ordinal);
        try
        {
            await _client.CreateAsync(pod, cancellationToken: cancellationToken).ConfigureAwait(false);
            _events?.Record(set, EventTypes.Normal, "SuccessfulCreate", "Create",
                $"create Pod {pod.Metadata.Name} in StatefulSet {set.Metadata.Name} successful");
        }
        catch (AlreadyExistsException)
        {
            // The previous pod of this ordinal is still going away.
        }
    }

    private async Task DeletePodAsync(V1StatefulSet set, V1Pod pod, CancellationToken cancellationToken)
    {
        try
        {
            await _client.DeleteAsync<V1Pod>(pod.Metadata.Name, pod.Metadata.NamespaceProperty,
                new DeleteOptions { PreconditionUid = pod.Metadata.Uid }, cancellationToken).ConfigureAwait(false);
            _events?.Record(set, EventTypes.Normal, "SuccessfulDelete", "Delete",
                $"delete Pod {pod.Metadata.Name} in StatefulSet {set.Metadata.Name} successful");
        }
        catch (KubeApiException ex) when (ex is NotFoundException or ConflictException)
        {
        }
    }

    private async Task UpdateStatusAsync(V1StatefulSet set, List<V1Pod> pods, string currentRevision, string updateRevision, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var minReady = set.Spec.MinReadySeconds ?? 0;
        var status = new V1StatefulSetStatus
        {
            ObservedGeneration = set.Metadata.Generation,
            CollisionCount = set.Status?.CollisionCount,
            CurrentRevision = currentRevision,
            UpdateRevision = updateRevision,
            Conditions = set.Status?.Conditions,
        };
        int replicas = 0, ready = 0, available = 0, currentCount = 0, updated = 0;
        foreach (var pod in pods.Where(p => StatefulSetPods.OrdinalOf(set, p) is not null))
        {
            if (!string.IsNullOrEmpty(pod.Status?.Phase)) replicas++;
            if (StatefulSetPods.IsRunningAndReady(pod))
            {
                ready++;
                if (PodUtil.IsAvailable(pod, minReady, now)) available++;
            }

            if (pod.Metadata.DeletionTimestamp is not null || string.IsNullOrEmpty(pod.Status?.Phase)) continue;
            var revision = StatefulSetPods.RevisionOf(pod);
            if (revision == currentRevision) currentCount++;
            if (revision == updateRevision) updated++;
        }

        status.Replicas = replicas;
        status.ReadyReplicas = ready;
        status.AvailableReplicas = available;
        status.CurrentReplicas = currentCount;
        status.UpdatedReplicas = updated;
        if (set.Spec.UpdateStrategy?.Type != "OnDelete" && updated == replicas && ready == replicas && replicas == (set.Spec.Replicas ?? 1))
        {
            // The rollout is complete: the update revision becomes the current one.
            status.CurrentRevision = updateRevision;
            status.CurrentReplicas = updated;
        }

        if (set.Status is { } old && k8s.KubernetesJson.Serialize(old) == k8s.KubernetesJson.Serialize(status)) return;
        var copy = ObjectCopy.Clone(set);
        copy.Status = status;
        try
        {
            await _client.UpdateStatusAsync(copy, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (NotFoundException)
        {
        }
    }

    /// <summary>Deletes the oldest revisions that no pod uses beyond revisionHistoryLimit (default 10).</summary>
    private Task CleanupRevisionsAsync(V1StatefulSet set, List<V1ControllerRevision> revisions, List<V1Pod> pods, string currentRevision,
        string updateRevision, CancellationToken cancellationToken)
    {
        var inUse = pods.Select(StatefulSetPods.RevisionOf).OfType<string>().Append(currentRevision).Append(updateRevision).ToHashSet(StringComparer.Ordinal);
        return ControllerHistory.CleanupAsync(_client, set, revisions, inUse, set.Spec.RevisionHistoryLimit ?? 10, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "StatefulSet {Namespace}/{Name}: replacing pod {Pod} to update it to revision {Revision}")]
    private partial void LogUpdating(string @namespace, string name, string pod, string revision);
}
