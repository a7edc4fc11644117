using System.Globalization;
using k8s;
using k8s.Models;
using Kube.Core.Helpers;
using Kube.Controllers.Internal;
using Kube.Controllers.Runtime;
using Kube.Core.Client;
using Kube.Core.Informers;
using Microsoft.Extensions.Logging;

namespace Kube.Controllers.BuiltIn.Deployment;

/// <summary>
/// The Deployment controller: one ReplicaSet per pod template (named <c>&lt;deployment&gt;-&lt;pod-template-hash&gt;</c>),
/// rolled out with the RollingUpdate (maxSurge / maxUnavailable) or Recreate strategy, old ReplicaSets kept up to
/// revisionHistoryLimit, and the Deployment's status and Available / Progressing conditions.
/// </summary>
public sealed partial class DeploymentReconciler : IReconciler<V1Deployment>
{
    /// <summary>The revision annotation on Deployments and their ReplicaSets.</summary>
    public const string RevisionAnnotation = "deployment.kubernetes.io/revision";
    public const string DesiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas";
    public const string MaxReplicasAnnotation = "deployment.kubernetes.io/max-replicas";

    private readonly IKubeClient _client;
    private readonly IInformer<V1Deployment> _deployments;
    private readonly IInformer<V1ReplicaSet> _replicaSets;
    private readonly TimeProvider _time;
    private readonly ILogger<DeploymentReconciler> _logger;

    public DeploymentReconciler(IKubeClient client, ISharedInformerFactory informers, TimeProvider time, ILogger<DeploymentReconciler> logger)
    {
        ArgumentNullException.ThrowIfNull(informers);
        _client = client;
        _deployments = informers.GetInformer<V1Deployment>();
        _replicaSets = informers.GetInformer<V1ReplicaSet>();
        _time = time;
        _logger = logger;
    }

    /// <inheritdoc />
    public async Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken cancellationToken)
    {
        var d = _deployments.Cache.Get(request.Namespace, request.Name);
        if (d is null || d.Metadata.DeletionTimestamp is not null) return ReconcileResult.Done;
        if (Selectors.IsEmpty(d.Spec?.Selector))
        {
            LogEmptySelector(request.ToString());
            return ReconcileResult.Done;
        }

        var ns = d.Metadata.NamespaceProperty ?? "";
        var candidates = _replicaSets.Cache.ByIndex(Indexers.Namespace, ns);
        var all = await ControllerRefManager.ClaimAsync(_client, d, d.Spec!.Selector, candidates, cancellationToken).ConfigureAwait(false);
        all = all.Where(rs => rs.Metadata.DeletionTimestamp is null).ToList();

        var replicas = d.Spec.Replicas ?? 1;
        var hash = PodTemplateHash.Compute(d.Spec.Template, d.Status?.CollisionCount);
        // The new ReplicaSet carries this template's hash (it was made for this template), or - after a rollback, or when
        // the collision count moved the hash - an equal template.
        var newRs = all.FirstOrDefault(rs => rs.Metadata.Labels?.ValueOf(PodTemplateHash.Label) == hash)
            ?? all.Where(rs => PodTemplateHash.EqualIgnoringHash(rs.Spec?.Template, d.Spec.Template)).OrderBy(CreatedAt).FirstOrDefault();
        var old = all.Where(rs => !ReferenceEquals(rs, newRs)).ToList();
        var recreate = d.Spec.Strategy?.Type == "Recreate";
        var (maxSurge, maxUnavailable) = recreate
            ? (0, 0)
            : DeploymentMath.ResolveFenceposts(DeploymentMath.Text(d.Spec.Strategy?.RollingUpdate?.MaxSurge), DeploymentMath.Text(d.Spec.Strategy?.RollingUpdate?.MaxUnavailable), replicas);

        if (d.Spec.Paused == true)
        {
            await SyncStatusAsync(d, all, newRs, old, maxUnavailable, created: false, checkDeadline: false, cancellationToken).ConfigureAwait(false);
            return ReconcileResult.Done;
        }

        var created = false;
        var newRevision = old.Select(Revision).DefaultIfEmpty(0).Max() + 1;
        if (newRs is null)
        {
            int initial;
            if (recreate)
                initial = old.All(rs => (rs.Spec?.Replicas ?? 0) == 0 && (rs.Status?.Replicas ?? 0) == 0) ? replicas : 0;
            else
                initial = DeploymentMath.NewReplicaSetReplicas(replicas, maxSurge, old.Sum(rs => rs.Spec?.Replicas ?? 0), 0);
            newRs = await CreateNewReplicaSetAsync(d, hash, initial, newRevision, maxSurge, cancellationToken).ConfigureAwait(false);
            if (newRs is null) return ReconcileResult.RequeueAfter(TimeSpan.FromSeconds(1));
            created = true;
        }
        else if (Revision(newRs) < newRevision || NeedsAnnotations(newRs, d))
        {
            newRs = await UpdateNewReplicaSetMetadataAsync(d, newRs, Math.Max(Revision(newRs), newRevision), cancellationToken).ConfigureAwait(false);
        }

        d = await EnsureDeploymentRevisionAsync(d, Revision(newRs), cancellationToken).ConfigureAwait(false);

        if (recreate)
            newRs = await RolloutRecreateAsync(d, newRs, old, replicas, cancellationToken).ConfigureAwait(false);
        else
            newRs = await RolloutRollingAsync(d, newRs, old, replicas, maxSurge, maxUnavailable, cancellationToken).ConfigureAwait(false);

        all = [.. old, newRs];
        if (IsComplete(d, newRs, old, replicas))
            await CleanupAsync(d, old, cancellationToken).ConfigureAwait(false);
        var recheck = await SyncStatusAsync(d, all, newRs, old, maxUnavailable, created, checkDeadline: true, cancellationToken).ConfigureAwait(false);
        return recheck is { } after ? ReconcileResult.RequeueAfter(after) : ReconcileResult.Done;
    }

    private async Task<V1ReplicaSet> RolloutRollingAsync(V1Deployment d, V1ReplicaSet newRs, List<V1ReplicaSet> old, int replicas, int maxSurge, int maxUnavailable, CancellationToken ct)
    {
        // The Deployment was resized while several ReplicaSets run: resize them all in proportion first (upstream's scale()).
        var active = old.Where(rs => (rs.Spec?.Replicas ?? 0) > 0).Append(newRs).Where(rs => (rs.Spec?.Replicas ?? 0) > 0).ToList();
        var replicasText = replicas.ToString(CultureInfo.InvariantCulture);
        if (active.Count > 1 && active.Any(rs => rs.Metadata.Annotations?.ValueOf(DesiredReplicasAnnotation) != replicasText))
        {
            var sizes = ProportionalSizes(active, replicas + maxSurge);
            foreach (var rs in active)
            {
                var size = sizes[rs.Metadata.Uid];
                var scaled = await ScaleAsync(d, rs, size, replicas + maxSurge, ct).ConfigureAwait(false);
                if (ReferenceEquals(rs, newRs)) newRs = scaled;
                else old[old.FindIndex(o => o.Metadata.Uid == rs.Metadata.Uid)] = scaled;
            }

            return newRs;
        }

        // Scale the new ReplicaSet up (within maxSurge), or down when the Deployment was scaled down.
        var newSpec = newRs.Spec?.Replicas ?? 0;
        var total = newSpec + old.Sum(rs => rs.Spec?.Replicas ?? 0);
        var target = newSpec > replicas ? replicas : DeploymentMath.NewReplicaSetReplicas(replicas, maxSurge, total, newSpec);
        if (target != newSpec)
            newRs = await ScaleAsync(d, newRs, target, replicas + maxSurge, ct).ConfigureAwait(false);

        // Scale old ReplicaSets down, keeping at least replicas - maxUnavailable available.
        var oldTotal = old.Sum(rs => rs.Spec?.Replicas ?? 0);
        if (oldTotal == 0) return newRs;
        var allTotal = oldTotal + (newRs.Spec?.Replicas ?? 0);
        var maxScaledDown = DeploymentMath.MaxScaledDown(allTotal, replicas, maxUnavailable, newRs.Spec?.Replicas ?? 0, newRs.Status?.AvailableReplicas ?? 0);
        if (maxScaledDown <= 0) return newRs;

        // First remove old replicas that are not available anyway (they do not count towards availability).
        var byAge = old.OrderBy(CreatedAt).ToList();
        for (var i = 0; i < byAge.Count && maxScaledDown > 0; i++)
        {
            var rs = byAge[i];
            var spec = rs.Spec?.Replicas ?? 0;
            var unhealthy = spec - (rs.Status?.AvailableReplicas ?? 0);
            if (spec == 0 || unhealthy <= 0) continue;
            var down = Math.Min(Math.Min(unhealthy, maxScaledDown), spec);
            byAge[i] = await ScaleAsync(d, rs, spec - down, replicas + maxSurge, ct).ConfigureAwait(false);
            maxScaledDown -= down;
        }

        // Then available ones, down to the minimum availability.
        var minAvailable = replicas - maxUnavailable;
        var available = byAge.Sum(rs => Math.Min(rs.Status?.AvailableReplicas ?? 0, rs.Spec?.Replicas ?? 0)) + (newRs.Status?.AvailableReplicas ?? 0);
        var remaining = available - minAvailable;
        for (var i = 0; i < byAge.Count && remaining > 0; i++)
        {
            var rs = byAge[i];
            var spec = rs.Spec?.Replicas ?? 0;
            if (spec == 0) continue;
            var down = Math.Min(spec, remaining);
            byAge[i] = await ScaleAsync(d, rs, spec - down, replicas + maxSurge, ct).ConfigureAwait(false);
            remaining -= down;
        }

        for (var i = 0; i < old.Count; i++) old[i] = byAge.First(rs => rs.Metadata.Uid == old[i].Metadata.Uid);
        return newRs;
    }

    /// <summary>
    /// New sizes for the active ReplicaSets so that together they reach <paramref name="allowed"/> (replicas + maxSurge):
    /// each gets round(size × allowed / its max-replicas annotation), the largest first, the remainder going to the largest.
    /// </summary>
    internal static Dictionary<string, int> ProportionalSizes(IReadOnlyList<V1ReplicaSet> active, int allowed)
    {
        var total = active.Sum(rs => rs.Spec?.Replicas ?? 0);
        var toAdd = allowed - total;
        var ordered = active
            .OrderByDescending(rs => rs.Spec?.Replicas ?? 0)
            .ThenBy(rs => toAdd > 0 ? -(CreatedAt(rs).Ticks) : CreatedAt(rs).Ticks)
            .ToList();
        var sizes = ordered.ToDictionary(rs => rs.Metadata.Uid, rs => rs.Spec?.Replicas ?? 0);
        var added = 0;
        foreach (var rs in ordered)
        {
            if (toAdd == 0 || added == toAdd) break;
            var size = rs.Spec?.Replicas ?? 0;
            var annotated = int.TryParse(rs.Metadata.Annotations?.ValueOf(MaxReplicasAnnotation), NumberStyles.Integer, CultureInfo.InvariantCulture, out var m) && m > 0 ? m : total;
            var proportion = (int)Math.Round((double)size * allowed / annotated, MidpointRounding.AwayFromZero) - size;
            proportion = toAdd > 0 ? Math.Min(proportion, toAdd - added) : Math.Max(proportion, toAdd - added);
            sizes[rs.Metadata.Uid] = size + proportion;
            added += proportion;
        }

        var first = ordered[0].Metadata.Uid;
        sizes[first] = Math.Max(0, sizes[first] + (toAdd - added));
        foreach (var uid in sizes.Keys.ToList()) sizes[uid] = Math.Max(0, sizes[uid]);
        return sizes;
    }

    private async Task<V1ReplicaSet> RolloutRecreateAsync(V1Deployment d, V1ReplicaSet newRs, List<V1ReplicaSet> old, int replicas, CancellationToken ct)
    {
        for (var i = 0; i < old.Count; i++)
            if ((old[i].Spec?.Replicas ?? 0) != 0)
                old[i] = await ScaleAsync(d, old[i], 0, replicas, ct).ConfigureAwait(false);
        if (old.Any(rs => (rs.Status?.Replicas ?? 0) > 0)) return newRs;
        return (newRs.Spec?.Replicas ?? 0) != replicas ? await ScaleAsync(d, newRs, replicas, replicas, ct).ConfigureAwait(false) : newRs;
    }

    private async Task<V1ReplicaSet?> CreateNewReplicaSetAsync(V1Deployment d, string hash, int replicas, long revision, int maxSurge, CancellationToken ct)
    {
        var template = ObjectCopy.Clone(d.Spec.Template);
        template.Metadata ??= new V1ObjectMeta();
        template.Metadata.Labels ??= new Dictionary<string, string>();
        template.Metadata.Labels[PodTemplateHash.Label] = hash;
        var selector = ObjectCopy.Clone(d.Spec.Selector);
        selector.MatchLabels ??= new Dictionary<string, string>();
        selector.MatchLabels[PodTemplateHash.Label] = hash;
        var labels = new Dictionary<string, string>(template.Metadata.Labels);
        var annotations = new Dictionary<string, string>();
        foreach (var (k, v) in d.Metadata.Annotations ?? new Dictionary<string, string>())
            if (!k.StartsWith("deployment.kubernetes.io/", StringComparison.Ordinal) && k != "kubectl.kubernetes.io/last-applied-configuration")
                annotations[k] = v;
        annotations[RevisionAnnotation] = revision.ToString(CultureInfo.InvariantCulture);
        annotations[DesiredReplicasAnnotation] = (d.Spec.Replicas ?? 1).ToString(CultureInfo.InvariantCulture);
        annotations[MaxReplicasAnnotation] = ((d.Spec.Replicas ?? 1) + maxSurge).ToString(CultureInfo.InvariantCulture);

        var rs = new V1ReplicaSet
        {
            ApiVersion = "apps/v1",
            Kind = "ReplicaSet",
            Metadata = new V1ObjectMeta
            {
                Name = $"{d.Metadata.Name}-{hash}",
                NamespaceProperty = d.Metadata.NamespaceProperty,
                Labels = labels,
                Annotations = annotations,
                OwnerReferences = [OwnerReferences.NewControllerRef(d)],
            },
            Spec = new V1ReplicaSetSpec
            {
                Replicas = replicas,
                MinReadySeconds = d.Spec.MinReadySeconds ?? 0,
                Selector = selector,
                Template = template,
            },
        };
        try
        {
            var created = await _client.CreateAsync(rs, cancellationToken: ct).ConfigureAwait(false);
            LogCreatedReplicaSet(Indexers.KeyOf(d), created.Metadata.Name, replicas);
            return created;
        }
        catch (AlreadyExistsException)
        {
            // Either our cache lags (the ReplicaSet is ours and has this template) or another template hashed the same.
            var existing = await _client.GetAsync<V1ReplicaSet>(rs.Metadata.Name, rs.Metadata.NamespaceProperty, ct).ConfigureAwait(false);
            if (OwnerReferences.GetControllerOf(existing)?.Uid == d.Metadata.Uid
                && (existing.Metadata.Labels?.ValueOf(PodTemplateHash.Label) == hash || PodTemplateHash.EqualIgnoringHash(existing.Spec?.Template, d.Spec.Template)))
                return existing;
            var copy = ObjectCopy.Clone(d);
            copy.Status ??= new V1DeploymentStatus();
            copy.Status.CollisionCount = (copy.Status.CollisionCount ?? 0) + 1;
            await _client.UpdateStatusAsync(copy, cancellationToken: ct).ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>
    /// Whether the new ReplicaSet's minReadySeconds lags the Deployment's. (The desired/max-replicas annotations are written
    /// only when scaling, so that a resize of the Deployment stays recognisable as a scaling event.)
    /// </summary>
    private static bool NeedsAnnotations(V1ReplicaSet rs, V1Deployment d) =>
        (rs.Spec?.MinReadySeconds ?? 0) != (d.Spec.MinReadySeconds ?? 0);

    private async Task<V1ReplicaSet> UpdateNewReplicaSetMetadataAsync(V1Deployment d, V1ReplicaSet rs, long revision, CancellationToken ct)
    {
        var copy = ObjectCopy.Clone(rs);
        copy.Metadata.Annotations ??= new Dictionary<string, string>();
        copy.Metadata.Annotations[RevisionAnnotation] = revision.ToString(CultureInfo.InvariantCulture);
        copy.Spec.MinReadySeconds = d.Spec.MinReadySeconds ?? 0;
        return await _client.UpdateAsync(copy, cancellationToken: ct).ConfigureAwait(false);
    }

    private async Task<V1ReplicaSet> ScaleAsync(V1Deployment d, V1ReplicaSet rs, int replicas, int maxReplicas, CancellationToken ct)
    {
        var copy = ObjectCopy.Clone(rs);
        LogScaled(Indexers.KeyOf(d), rs.Metadata.Name, rs.Spec?.Replicas ?? 0, replicas);
        copy.Spec.Replicas = replicas;
        copy.Metadata.Annotations ??= new Dictionary<string, string>();
        copy.Metadata.Annotations[DesiredReplicasAnnotation] = (d.Spec.Replicas ?? 1).ToString(CultureInfo.InvariantCulture);
        copy.Metadata.Annotations[MaxReplicasAnnotation] = maxReplicas.ToString(CultureInfo.InvariantCulture);
        return await _client.UpdateAsync(copy, cancellationToken: ct).ConfigureAwait(false);
    }

    /// <summary>Sets the Deployment's revision annotation; returns the Deployment as it is now (so the status write does not conflict).</summary>
    private async Task<V1Deployment> EnsureDeploymentRevisionAsync(V1Deployment d, long revision, CancellationToken ct)
    {
        var text = revision.ToString(CultureInfo.InvariantCulture);
        if (d.Metadata.Annotations?.ValueOf(RevisionAnnotation) == text) return d;
        var copy = ObjectCopy.Clone(d);
        copy.Metadata.Annotations ??= new Dictionary<string, string>();
        copy.Metadata.Annotations[RevisionAnnotation] = text;
        return await _client.UpdateAsync(copy, cancellationToken: ct).ConfigureAwait(false);
    }

    /// <summary>Deletes the oldest fully scaled-down old ReplicaSets beyond revisionHistoryLimit (default 10).</summary>
    private async Task CleanupAsync(V1Deployment d, List<V1ReplicaSet> old, CancellationToken ct)
    {
        var limit = d.Spec.RevisionHistoryLimit ?? 10;
        var deletable = old
            .Where(rs => (rs.Spec?.Replicas ?? 0) == 0 && (rs.Status?.Replicas ?? 0) == 0 && (rs.Status?.ObservedGeneration ?? 0) >= (rs.Metadata.Generation ?? 0))
            .OrderBy(Revision).ThenBy(CreatedAt)
            .ToList();
        foreach (var rs in deletable.Take(Math.Max(0, deletable.Count - limit)))
        {
            try
            {
                await _client.DeleteAsync<V1ReplicaSet>(rs.Metadata.Name, rs.Metadata.NamespaceProperty,
                    new DeleteOptions { PreconditionUid = rs.Metadata.Uid }, ct).ConfigureAwait(false);
                old.Remove(rs);
            }
            catch (NotFoundException)
            {
                old.Remove(rs);
            }
        }
    }

    private static bool IsComplete(V1Deployment d, V1ReplicaSet newRs, List<V1ReplicaSet> old, int replicas) =>
        (newRs.Spec?.Replicas ?? 0) == replicas
        && (newRs.Status?.Replicas ?? 0) == replicas
        && (newRs.Status?.AvailableReplicas ?? 0) >= replicas
        && old.All(rs => (rs.Spec?.Replicas ?? 0) == 0 && (rs.Status?.Replicas ?? 0) == 0);

    /// <summary>
    /// Writes the status and the Available / Progressing conditions. Progressing turns False with reason
    /// ProgressDeadlineExceeded when a rollout has not progressed for progressDeadlineSeconds (default 600); the returned
    /// delay is when to look again for that.
    /// </summary>
    private async Task<TimeSpan?> SyncStatusAsync(V1Deployment d, List<V1ReplicaSet> all, V1ReplicaSet? newRs, List<V1ReplicaSet> old, int maxUnavailable, bool created, bool checkDeadline, CancellationToken ct)
    {
        var replicas = d.Spec.Replicas ?? 1;
        var status = new V1DeploymentStatus
        {
            ObservedGeneration = d.Metadata.Generation,
            Replicas = all.Sum(rs => rs.Status?.Replicas ?? 0),
            UpdatedReplicas = newRs?.Status?.Replicas ?? 0,
            ReadyReplicas = all.Sum(rs => rs.Status?.ReadyReplicas ?? 0),
            AvailableReplicas = all.Sum(rs => rs.Status?.AvailableReplicas ?? 0),
            CollisionCount = d.Status?.CollisionCount,
        };
        status.UnavailableReplicas = Math.Max(replicas - (status.AvailableReplicas ?? 0), 0);

        var nowOffset = _time.GetUtcNow();
        var now = nowOffset.UtcDateTime;
        var conditions = d.Status?.Conditions?.Select(ObjectCopy.Clone).ToList() ?? [];
        var availableOk = (status.AvailableReplicas ?? 0) >= replicas - maxUnavailable;
        SetCondition(conditions, "Available", availableOk ? "True" : "False",
            availableOk ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
            availableOk ? "Deployment has minimum availability." : "Deployment does not have minimum availability.", now);

        TimeSpan? recheck = null;
        if (newRs is not null)
        {
            var complete = status.UpdatedReplicas == replicas && status.Replicas == replicas && status.AvailableReplicas == replicas && old.All(rs => (rs.Status?.Replicas ?? 0) == 0);
            var previous = d.Status;
            var progressed = created
                || (status.UpdatedReplicas ?? 0) > (previous?.UpdatedReplicas ?? 0)
                || (status.ReadyReplicas ?? 0) > (previous?.ReadyReplicas ?? 0)
                || (status.AvailableReplicas ?? 0) > (previous?.AvailableReplicas ?? 0)
                || (status.Replicas ?? 0) - (status.UpdatedReplicas ?? 0) < (previous?.Replicas ?? 0) - (previous?.UpdatedReplicas ?? 0)
                || d.Metadata.Generation != previous?.ObservedGeneration;
            var current = conditions.FirstOrDefault(c => c.Type == "Progressing");
            var deadline = TimeSpan.FromSeconds(d.Spec.ProgressDeadlineSeconds ?? 600);
            if (complete)
            {
                SetCondition(conditions, "Progressing", "True", "NewReplicaSetAvailable", $"ReplicaSet \"{newRs.Metadata.Name}\" has successfully progressed.", now);
            }
            else if (progressed || current is null || current.Reason == "NewReplicaSetAvailable")
            {
                var (reason, message) = created
                    ? ("NewReplicaSetCreated", $"Created new replica set \"{newRs.Metadata.Name}\"")
                    : ("ReplicaSetUpdated", $"ReplicaSet \"{newRs.Metadata.Name}\" is progressing.");
                SetCondition(conditions, "Progressing", "True", reason, message, now, touch: true);
                if (checkDeadline) recheck = deadline;
            }
            else if (checkDeadline && current.Reason != "ProgressDeadlineExceeded" && current.LastUpdateTime is { } last)
            {
                var since = nowOffset - new DateTimeOffset(DateTime.SpecifyKind(last, DateTimeKind.Utc));
                if (since >= deadline)
                    SetCondition(conditions, "Progressing", "False", "ProgressDeadlineExceeded", $"ReplicaSet \"{newRs.Metadata.Name}\" has timed out progressing.", now);
                else
                    recheck = deadline - since;
            }
        }

        status.Conditions = conditions;
        if (d.Status is not null && KubernetesJson.Serialize(d.Status) == KubernetesJson.Serialize(status)) return recheck;
        var copy = ObjectCopy.Clone(d);
        copy.Status = status;
        try
        {
            await _client.UpdateStatusAsync(copy, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (NotFoundException)
        {
        }

        return recheck;
    }

    /// <summary>Sets a condition; lastTransitionTime moves only when the status changes, lastUpdateTime when anything does (or when <paramref name="touch"/>).</summary>
    private static void SetCondition(List<V1DeploymentCondition> conditions, string type, string status, string reason, string message, DateTime now, bool touch = false)
    {
        var existing = conditions.FirstOrDefault(c => c.Type == type);
        if (!touch && existing is not null && existing.Status == status && existing.Reason == reason && existing.Message == message) return;
        var transition = existing is not null && existing.Status == status ? existing.LastTransitionTime : now;
        conditions.RemoveAll(c => c.Type == type);
        conditions.Add(new V1DeploymentCondition
        {
            Type = type,
            Status = status,
            Reason = reason,
            Message = message,
            LastUpdateTime = now,
            LastTransitionTime = transition,
        });
    }

    private static long Revision(V1ReplicaSet rs) =>
        long.TryParse(rs.Metadata.Annotations?.ValueOf(RevisionAnnotation), NumberStyles.Integer, CultureInfo.InvariantCulture, out var r) ? r : 0;

    private static DateTime CreatedAt(V1ReplicaSet rs) => rs.Metadata.CreationTimestamp ?? DateTime.MinValue;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deployment {Key} has an empty selector; it selects no pods and is not synced")]
    private partial void LogEmptySelector(string key);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deployment {Key}: created ReplicaSet {ReplicaSet} with {Replicas} replica(s)")]
    private partial void LogCreatedReplicaSet(string key, string replicaSet, int replicas);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deployment {Key}: scaled ReplicaSet {ReplicaSet} from {From} to {To}")]
    private partial void LogScaled(string key, string replicaSet, int from, int to);
}
