using k8s.Models;
using Kube.Controllers.BuiltIn.ReplicaSet;
using Kube.Controllers.Internal;
using Kube.Controllers.Runtime;
using Kube.Core.Client;
using Kube.Core.Events;
using Kube.Core.Helpers;
using Kube.Core.Informers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kube.Controllers.BuiltIn.Job;

/// <summary>
/// The Job controller (upstream's pkg/controller/job): runs pods until <c>completions</c> succeed (NonIndexed) or every
/// completion index succeeded (Indexed), at most <c>parallelism</c> at once, with pod-failure backoff, backoffLimit,
/// activeDeadlineSeconds, podFailurePolicy and suspend; Indexed Jobs with backoffLimitPerIndex (failedIndexes, maxFailedIndexes,
/// the FailIndex action; see <see cref="JobPerIndex"/>). Finished pods are tracked with the
/// <c>batch.kubernetes.io/job-tracking</c> finalizer through <c>status.uncountedTerminatedPods</c>, so no pod is counted
/// twice or lost. A failing or succeeding Job first gets FailureTarget / SuccessCriteriaMet, then, once its pods are
/// gone, Failed / Complete with the same reason.
/// </summary>
public sealed partial class JobReconciler : IReconciler<V1Job>
{
    private const int BurstPods = 500;

    private readonly IKubeClient _client;
    private readonly IInformer<V1Job> _jobs;
    private readonly IInformer<V1Pod> _pods;
    private readonly TimeProvider _time;
    private readonly ControllerManagerOptions _options;
    private readonly ILogger<JobReconciler> _logger;
    private readonly IEventRecorder? _events;
    private readonly ReplicaSetExpectations _expectations;
    private readonly WrittenVersions _written = new();

    /// <summary>
    /// Per Job, the uids of pods this controller counted and released the finalizer of, until the pod cache shows them
    /// without it: a lagging cache must not get them counted twice (upstream's finalizer expectations).
    /// </summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, HashSet<string>> _released = new(StringComparer.Ordinal);

    public JobReconciler(IKubeClient client, ISharedInformerFactory informers, TimeProvider time, IOptions<ControllerManagerOptions> options,
        ILogger<JobReconciler> logger, IEventRecorder? events = null)
    {
        ArgumentNullException.ThrowIfNull(informers);
        ArgumentNullException.ThrowIfNull(options);
        _client = client;
        _jobs = informers.GetInformer<V1Job>();
        _pods = informers.GetInformer<V1Pod>();
        _time = time;
        _options = options.Value;
        _logger = logger;
        _events = events;
        _expectations = new ReplicaSetExpectations(time);
    }

    /// <inheritdoc />
    public async Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken cancellationToken)
    {
        var key = request.ToString();
        var ns = request.Namespace ?? "";
        var nsPods = _pods.Cache.ByIndex(Indexers.Namespace, ns);
        var job = _jobs.Cache.Get(request.Namespace, request.Name);
        if (job is null)
        {
            _expectations.Clear(key);
            _released.TryRemove(key, out _);
            _written.Forget(key);
            await ReleaseFinalizersAsync(nsPods.Where(p => IsTrackedByJobNamed(p, request.Name, exceptUid: null)), cancellationToken).ConfigureAwait(false);
            return ReconcileResult.Done;
        }

        // The cache has not shown our last status write yet: counting from it would repeat work.
        if (_written.IsBehind(key, job.Metadata.ResourceVersion)) return ReconcileResult.RequeueAfter(TimeSpan.FromMilliseconds(100));

        // Pods of an earlier Job of the same name keep their finalizer until released here.
        await ReleaseFinalizersAsync(nsPods.Where(p => IsTrackedByJobNamed(p, job.Metadata.Name, exceptUid: job.Metadata.Uid)), cancellationToken).ConfigureAwait(false);
        var pods = await ClaimPodsAsync(job, nsPods, cancellationToken).ConfigureAwait(false);
        if (IsFinished(job))
        {
            await ReleaseFinalizersAsync(pods.Where(JobPods.HasTrackingFinalizer), cancellationToken).ConfigureAwait(false);
            return ReconcileResult.Done;
        }

        var pending = _expectations.Pending(
            key,
            name => _pods.Cache.Get(ns, name) is not null,
            uid => !nsPods.Any(p => p.Metadata.Uid == uid && p.Metadata.DeletionTimestamp is null));
        if (pending is { } age && age > TimeSpan.FromSeconds(5))
        {
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

            pending = _expectations.Pending(key, _ => false, _ => false);
        }

        return await SyncAsync(key, job, pods, pending is not null, cancellationToken).ConfigureAwait(false);
    }

    private async Task<ReconcileResult> SyncAsync(string key, V1Job job, List<V1Pod> pods, bool cacheBehind, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var spec = job.Spec;
        var status = job.Status is null ? new V1JobStatus() : ObjectCopy.Clone(job.Status);
        status.Conditions ??= new List<V1JobCondition>();
        var uncounted = status.UncountedTerminatedPods ??= new V1UncountedTerminatedPods();
        uncounted.Succeeded ??= new List<string>();
        uncounted.Failed ??= new List<string>();
        var indexed = spec.CompletionMode == JobConstants.Indexed;
        var completions = spec.Completions;
        var parallelism = Math.Max(0, spec.Parallelism ?? 1);
        var completed = CompletedIndexes.Parse(status.CompletedIndexes);
        var perIndex = JobPerIndex.Enabled(job);
        var failedIndexes = CompletedIndexes.Parse(status.FailedIndexes);
        var byUid = pods.ToDictionary(p => p.Metadata.Uid, StringComparer.Ordinal);

        // 1. Uncounted pods whose finalizer is gone (an earlier sync removed it) move into the counters.
        var statusChanged = FlushCounted(status, byUid);

        // 2. Newly finished pods that still carry the finalizer become uncounted (written before the finalizer goes).
        var releasedBefore = _released.GetOrAdd(key, _ => new HashSet<string>(StringComparer.Ordinal));
        lock (releasedBefore) releasedBefore.RemoveWhere(uid => !byUid.TryGetValue(uid, out var p) || !JobPods.HasTrackingFinalizer(p));
        var release = new List<V1Pod>();
        (string Reason, string Message)? podPolicyFailure = null;
        foreach (var pod in pods)
        {
            if (!JobPods.HasTrackingFinalizer(pod)) continue;
            var uid = pod.Metadata.Uid;
            if (uncounted.Succeeded.Contains(uid) || uncounted.Failed.Contains(uid)) continue;
            bool counted;
            lock (releasedBefore) counted = releasedBefore.Contains(uid);
            if (counted) continue;
            if (JobPods.IsSucceeded(pod))
            {
                if (indexed && JobPods.IndexOf(pod) is { } ix && ix < (completions ?? 0)) completed.Add(ix);
                uncounted.Succeeded.Add(uid);
                statusChanged = true;
            }
            else if (JobPods.IsFailed(pod, job))
            {
                var match = PodFailurePolicyEvaluator.Match(spec.PodFailurePolicy, pod);
                if (match?.Action == PodFailurePolicyEvaluator.Ignore)
                {
                    release.Add(pod);
                    continue;
                }

                if (match?.Action == PodFailurePolicyEvaluator.FailJob) podPolicyFailure ??= (JobConstants.ReasonPodFailurePolicy, match.Value.Message);
                if (perIndex && JobPods.IndexOf(pod) is { } fi && fi < (completions ?? 0) && !completed.Contains(fi) && JobPerIndex.FailsIndex(job, pod, match?.Action))
                    failedIndexes.Add(fi);
                uncounted.Failed.Add(uid);
                statusChanged = true;
            }
        }

        if (indexed) status.CompletedIndexes = CompletedIndexes.Format(completed);
        if (perIndex) status.FailedIndexes = CompletedIndexes.Format(failedIndexes);
        if (statusChanged && uncounted.Succeeded.Count + uncounted.Failed.Count > 0)
        {
            var written = await WriteStatusAsync(job, status, cancellationToken).ConfigureAwait(false);
            if (written is null) return ReconcileResult.Done;
            job = written;
        }

        // 3. Release the finalizers of the uncounted pods, then count them.
        release.AddRange(pods.Where(p => JobPods.HasTrackingFinalizer(p)
            && (uncounted.Succeeded.Contains(p.Metadata.Uid) || uncounted.Failed.Contains(p.Metadata.Uid))));
        var released = await ReleaseFinalizersAsync(release, cancellationToken).ConfigureAwait(false);
        lock (releasedBefore) releasedBefore.UnionWith(released);
        foreach (var uid in released) byUid.Remove(uid);
        FlushCounted(status, byUid);

        var succeeded = status.Succeeded ?? 0;
        var failed = status.Failed ?? 0;
        var active = pods.Where(JobPods.IsActive).ToList();
        var terminating = pods.Count(JobPods.IsTerminating);
        var restarts = spec.Template?.Spec?.RestartPolicy == "OnFailure" ? active.Sum(JobPods.Restarts) : 0;
        var suspended = spec.Suspend == true;
        TimeSpan? requeue = null;

        // 4. Decide whether the Job has met its success or failure criteria.
        var target = status.Conditions.FirstOrDefault(c => c.Status == Conditions.True && c.Type is JobConstants.FailureTarget or JobConstants.SuccessCriteriaMet);
        if (target is null && !suspended)
        {
            (string Type, string Reason, string Message)? decided = null;
            var deadlineLeft = spec.ActiveDeadlineSeconds is { } ads && status.StartTime is { } started
                ? Utc(started).AddSeconds(ads) - now
                : (TimeSpan?)null;
            if (podPolicyFailure is { } ppf) decided = (JobConstants.FailureTarget, ppf.Reason, ppf.Message);
            else if (perIndex && spec.MaxFailedIndexes is { } maxFailed && failedIndexes.Count > maxFailed)
                decided = (JobConstants.FailureTarget, JobPerIndex.ReasonMaxFailedIndexesExceeded, JobPerIndex.MessageMaxFailedIndexesExceeded);
            else if (perIndex && failedIndexes.Count > 0 && completed.Count + failedIndexes.Count >= (completions ?? 0))
                decided = (JobConstants.FailureTarget, JobPerIndex.ReasonFailedIndexes, JobPerIndex.MessageFailedIndexes);
            else if (!perIndex && failed + restarts > (spec.BackoffLimit ?? 6)) decided = (JobConstants.FailureTarget, JobConstants.ReasonBackoffLimitExceeded, JobConstants.MessageBackoffLimitExceeded);
            else if (deadlineLeft is { } left && left <= TimeSpan.Zero) decided = (JobConstants.FailureTarget, JobConstants.ReasonDeadlineExceeded, JobConstants.MessageDeadlineExceeded);
            else if (indexed && MatchedSuccessRule(spec.SuccessPolicy, completed) is { } rule) decided = (JobConstants.SuccessCriteriaMet, JobConstants.ReasonSuccessPolicy, $"Matched rules at index {rule}");
            else if (IsSuccessful(indexed, completions, succeeded, completed, active.Count)) decided = (JobConstants.SuccessCriteriaMet, JobConstants.ReasonCompletionsReached, JobConstants.MessageCompletionsReached);
            else if (deadlineLeft is { } l) requeue = l;

            if (decided is { } d)
            {
                SetCondition(status.Conditions, d.Type, Conditions.True, d.Reason, d.Message, now);
                target = status.Conditions.First(c => c.Type == d.Type);
                LogCriteria(key, d.Type, d.Reason);
            }
        }

        if (target is not null)
        {
            // Finishing: no pod keeps running; the terminal condition waits until all are gone and counted.
            var deleted = await DeletePodsAsync(key, job, active, cancellationToken).ConfigureAwait(false);
            terminating += deleted;
            active.Clear();
            // A pod created a moment ago may not be in the cache yet: finish only once the cache shows every creation.
            if (!cacheBehind && terminating == 0 && uncounted.Succeeded.Count == 0 && uncounted.Failed.Count == 0)
            {
                var success = target.Type == JobConstants.SuccessCriteriaMet;
                SetCondition(status.Conditions, success ? JobConstants.Complete : JobConstants.Failed, Conditions.True, target.Reason, target.Message, now);
                if (success) status.CompletionTime = now.UtcDateTime;
                if (success) _events?.Record(job, EventTypes.Normal, "Completed", "Complete", "Job completed");
                else _events?.Record(job, EventTypes.Warning, target.Reason, "Fail", target.Message);
                LogFinished(key, success ? JobConstants.Complete : JobConstants.Failed, target.Reason);
            }
            else
            {
                requeue = TimeSpan.FromSeconds(1);
            }
        }
        else if (suspended)
        {
            var deleted = await DeletePodsAsync(key, job, active, cancellationToken).ConfigureAwait(false);
            terminating += deleted;
            active.Clear();
            if (SetCondition(status.Conditions, JobConstants.Suspended, Conditions.True, JobConstants.ReasonJobSuspended, "Job suspended", now))
                _events?.Record(job, EventTypes.Normal, "Suspended", "Suspend", "Job suspended");
            status.StartTime = null;
        }
        else
        {
            if (status.Conditions.Any(c => c.Type == JobConstants.Suspended && c.Status == Conditions.True))
            {
                SetCondition(status.Conditions, JobConstants.Suspended, Conditions.False, JobConstants.ReasonJobResumed, "Job resumed", now);
                _events?.Record(job, EventTypes.Normal, "Resumed", "Resume", "Job resumed");
                status.StartTime = now.UtcDateTime;
                if (spec.ActiveDeadlineSeconds is { } ads) requeue = TimeSpan.FromSeconds(ads);
            }

            if (status.StartTime is null)
            {
                status.StartTime = now.UtcDateTime;
                if (spec.ActiveDeadlineSeconds is { } ads) requeue = TimeSpan.FromSeconds(ads);
            }

            if (!cacheBehind)
            {
                var (wait, deleted) = indexed
                    ? await ManageIndexedAsync(key, job, pods, active, perIndex ? new SortedSet<int>(completed.Union(failedIndexes)) : completed, parallelism, now,
                        cancellationToken).ConfigureAwait(false)
                    : await ManageNonIndexedAsync(key, job, pods, active, succeeded, parallelism, now, cancellationToken).ConfigureAwait(false);
                terminating += deleted;
                if (wait is { } w && (requeue is null || w < requeue)) requeue = w;
            }
            else
            {
                requeue = TimeSpan.FromSeconds(1);
            }
        }

        // 5. The rest of the status, from the cache as of this sync.
        status.Active = active.Count(p => p.Metadata.DeletionTimestamp is null);
        status.Ready = active.Count(PodUtil.IsReady);
        status.Terminating = terminating;
        if (uncounted.Succeeded.Count == 0 && uncounted.Failed.Count == 0) status.UncountedTerminatedPods = new V1UncountedTerminatedPods();
        if (!StatusEquals(job.Status, status))
        {
            if (await WriteStatusAsync(job, status, cancellationToken).ConfigureAwait(false) is null) return ReconcileResult.Done;
        }

        return requeue is { } r ? ReconcileResult.RequeueAfter(r + TimeSpan.FromMilliseconds(10)) : ReconcileResult.Done;
    }

    /// <summary>
    /// The index of the first successPolicy rule an Indexed Job meets: its succeededIndexes all completed, or (with
    /// succeededCount) at least that many of them (or of all indexes) completed.
    /// </summary>
    internal static int? MatchedSuccessRule(V1SuccessPolicy? policy, SortedSet<int> completed)
    {
        for (var i = 0; i < (policy?.Rules?.Count ?? 0); i++)
        {
            var rule = policy!.Rules[i];
            var wanted = rule.SucceededIndexes is { Length: > 0 } text ? CompletedIndexes.Parse(text) : null;
            var done = wanted is null ? completed.Count : wanted.Count(completed.Contains);
            var met = rule.SucceededCount is { } n ? done >= n : wanted is not null && done == wanted.Count;
            if (met) return i;
        }

        return null;
    }

    private static bool IsSuccessful(bool indexed, int? completions, int succeeded, SortedSet<int> completed, int active)
    {
        if (indexed) return completions is { } c && completed.Count(i => i < c) >= c;
        if (completions is { } n) return succeeded >= n;
        // Work-queue Jobs: done once any pod succeeded and none is left running.
        return succeeded > 0 && active == 0;
    }

    private async Task<(TimeSpan? Wait, int Deleted)> ManageNonIndexedAsync(string key, V1Job job, List<V1Pod> pods, List<V1Pod> active,
        int succeeded, int parallelism, DateTimeOffset now, CancellationToken cancellationToken)
    {
        int wantActive;
        if (job.Spec.Completions is { } completions) wantActive = Math.Min(parallelism, Math.Max(0, completions - succeeded));
        else wantActive = succeeded > 0 ? active.Count : parallelism;

        if (active.Count > wantActive)
        {
            var victims = active.ToList();
            victims.Sort(PodUtil.CompareForDeletion);
            var extra = victims.Take(Math.Min(active.Count - wantActive, BurstPods)).ToList();
            foreach (var v in extra) active.Remove(v);
            return (null, await DeletePodsAsync(key, job, extra, cancellationToken).ConfigureAwait(false));
        }

        var counted = active.Count + (job.Spec.PodReplacementPolicy == "Failed" ? pods.Count(JobPods.IsTerminating) : 0);
        var missing = Math.Min(wantActive - counted, BurstPods);
        if (missing <= 0) return (null, 0);
        var backoff = JobBackoff.Remaining(pods, job, now, _options.JobPodFailureBackoff, _options.JobPodFailureBackoffMax);
        if (backoff > TimeSpan.Zero) return (backoff, 0);
        await CreatePodsAsync(key, job, Enumerable.Repeat<int?>(null, missing).ToList(), cancellationToken).ConfigureAwait(false);
        return (null, 0);
    }

    private async Task<(TimeSpan? Wait, int Deleted)> ManageIndexedAsync(string key, V1Job job, List<V1Pod> pods, List<V1Pod> active,
        SortedSet<int> completed, int parallelism, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var completions = job.Spec.Completions ?? 0;
        var toDelete = new List<V1Pod>();
        var activeIndexes = new HashSet<int>();
        foreach (var pod in active.OrderBy(p => p.Metadata.CreationTimestamp ?? DateTime.MinValue))
        {
            // Out-of-range, already completed or duplicate indexes have nothing to do.
            if (JobPods.IndexOf(pod) is not { } ix || ix >= completions || completed.Contains(ix) || !activeIndexes.Add(ix)) toDelete.Add(pod);
        }

        foreach (var v in toDelete) active.Remove(v);
        if (active.Count > parallelism)
        {
            var extra = active.OrderByDescending(p => JobPods.IndexOf(p)).Take(active.Count - parallelism).ToList();
            foreach (var v in extra)
            {
                active.Remove(v);
                activeIndexes.Remove(JobPods.IndexOf(v)!.Value);
            }

            toDelete.AddRange(extra);
        }

        var deleted = await DeletePodsAsync(key, job, toDelete, cancellationToken).ConfigureAwait(false);
        if (job.Spec.PodReplacementPolicy == "Failed")
        {
            foreach (var p in pods.Where(JobPods.IsTerminating))
                if (JobPods.IndexOf(p) is { } ix) activeIndexes.Add(ix);
        }

        var slots = Math.Min(parallelism - active.Count, BurstPods);
        if (slots <= 0) return (null, deleted);
        var pending = Enumerable.Range(0, completions).Where(i => !completed.Contains(i) && !activeIndexes.Contains(i));
        if (JobPerIndex.Enabled(job))
        {
            // backoffLimitPerIndex: each index backs off by its own failures; the others take the free slots.
            TimeSpan? soonest = null;
            var ready = new List<int?>();
            var podsOfIndex = pods.ToLookup(JobPods.IndexOf);
            foreach (var ix in pending)
            {
                if (ready.Count >= slots) break;
                var wait = JobBackoff.Remaining(podsOfIndex[ix], job, now, _options.JobPodFailureBackoff, _options.JobPodFailureBackoffMax);
                if (wait <= TimeSpan.Zero) ready.Add(ix);
                else if (soonest is null || wait < soonest) soonest = wait;
            }

            if (ready.Count > 0) await CreatePodsAsync(key, job, ready, cancellationToken, JobPerIndex.FailureCounts(job, pods)).ConfigureAwait(false);
            return (soonest, deleted);
        }

        var next = pending.Take(slots).Select(i => (int?)i).ToList();
        if (next.Count == 0) return (null, deleted);
        var backoff = JobBackoff.Remaining(pods, job, now, _options.JobPodFailureBackoff, _options.JobPodFailureBackoffMax);
        if (backoff > TimeSpan.Zero) return (backoff, deleted);
        await CreatePodsAsync(key, job, next, cancellationToken).ConfigureAwait(false);
        return (null, deleted);
    }

    /// <summary>Creates pods in batches of 1, 2, 4, ... (upstream's slow start), stopping at the first failing batch.</summary>
    private async Task CreatePodsAsync(string key, V1Job job, List<int?> indexes, CancellationToken cancellationToken, Dictionary<int, int>? failureCounts = null)
    {
        var done = 0;
        for (var batch = 1; done < indexes.Count; batch *= 2)
        {
            var slice = indexes.Skip(done).Take(batch).ToList();
            var results = await Task.WhenAll(slice.Select(ix => CreatePodAsync(key, job, ix, failureCounts, cancellationToken))).ConfigureAwait(false);
            done += slice.Count;
            var failure = results.FirstOrDefault(e => e is not null);
            if (failure is not null)
            {
                _events?.Record(job, EventTypes.Warning, "FailedCreate", "Create", $"Error creating: {failure.Message}");
                throw failure;
            }
        }
    }

    private async Task<Exception?> CreatePodAsync(string key, V1Job job, int? index, Dictionary<int, int>? failureCounts, CancellationToken cancellationToken)
    {
        try
        {
            var pod = JobPods.NewPod(job, index);
            if (failureCounts is not null && index is { } i)
            {
                pod.Metadata.Annotations ??= new Dictionary<string, string>();
                pod.Metadata.Annotations[JobPerIndex.FailureCountAnnotation] = failureCounts.GetValueOrDefault(i).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            var created = await _client.CreateAsync(pod, cancellationToken: cancellationToken).ConfigureAwait(false);
            _expectations.ExpectCreated(key, created.Metadata.Name);
            _events?.Record(job, EventTypes.Normal, "SuccessfulCreate", "Create", $"Created pod: {created.Metadata.Name}");
            return null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return ex;
        }
    }

    private async Task<int> DeletePodsAsync(string key, V1Job job, List<V1Pod> victims, CancellationToken cancellationToken)
    {
        var deleted = 0;
        foreach (var pod in victims.Where(p => p.Metadata.DeletionTimestamp is null))
        {
            _expectations.ExpectDeleted(key, pod.Metadata.Uid);
            try
            {
                await _client.DeleteAsync<V1Pod>(pod.Metadata.Name, pod.Metadata.NamespaceProperty,
                    new DeleteOptions { PreconditionUid = pod.Metadata.Uid }, cancellationToken).ConfigureAwait(false);
                _events?.Record(job, EventTypes.Normal, "SuccessfulDelete", "Delete", $"Deleted pod: {pod.Metadata.Name}");
                deleted++;
            }
            catch (KubeApiException ex) when (ex is NotFoundException or ConflictException)
            {
            }
        }

        return deleted;
    }

    private async Task<List<V1Pod>> ClaimPodsAsync(V1Job job, IReadOnlyList<V1Pod> nsPods, CancellationToken cancellationToken)
    {
        if (Selectors.IsEmpty(job.Spec?.Selector))
            return nsPods.Where(p => OwnerReferences.GetControllerOf(p)?.Uid == job.Metadata.Uid).ToList();
        return await ControllerRefManager.ClaimAsync(_client, job, job.Spec!.Selector, nsPods, cancellationToken).ConfigureAwait(false);
    }

    private static bool IsTrackedByJobNamed(V1Pod pod, string name, string? exceptUid) =>
        JobPods.HasTrackingFinalizer(pod)
        && OwnerReferences.GetControllerOf(pod) is { Kind: "Job" } owner
        && owner.Name == name
        && KindInfo.GroupOf(owner.ApiVersion) == "batch"
        && owner.Uid != exceptUid;

    internal static bool IsFinished(V1Job job) =>
        job.Status?.Conditions?.Any(c => c.Status == Conditions.True && c.Type is JobConstants.Complete or JobConstants.Failed) == true;

    /// <summary>Moves uncounted uids whose pod no longer carries the finalizer (or is gone) into the counters.</summary>
    private static bool FlushCounted(V1JobStatus status, Dictionary<string, V1Pod> byUid)
    {
        var u = status.UncountedTerminatedPods!;
        bool Free(string uid) => !byUid.TryGetValue(uid, out var p) || !JobPods.HasTrackingFinalizer(p);
        var succeeded = u.Succeeded!.ToList();
        var failed = u.Failed!.ToList();
        var s = succeeded.RemoveAll(uid => Free(uid));
        var f = failed.RemoveAll(uid => Free(uid));
        u.Succeeded = succeeded;
        u.Failed = failed;
        status.Succeeded = (status.Succeeded ?? 0) + s;
        status.Failed = (status.Failed ?? 0) + f;
        return s + f > 0;
    }

    /// <summary>Removes the tracking finalizer from each pod; returns the uids whose finalizer is gone.</summary>
    private async Task<List<string>> ReleaseFinalizersAsync(IEnumerable<V1Pod> pods, CancellationToken cancellationToken)
    {
        var released = new List<string>();
        foreach (var pod in pods.ToList())
        {
            var current = pod;
            for (var attempt = 0; attempt < 3; attempt++)
            {
                if (!JobPods.HasTrackingFinalizer(current))
                {
                    released.Add(pod.Metadata.Uid);
                    break;
                }

                var copy = ObjectCopy.Clone(current);
                copy.Metadata.Finalizers = copy.Metadata.Finalizers!.Where(f => f != JobConstants.TrackingFinalizer).ToList();
                try
                {
                    await _client.UpdateAsync(copy, cancellationToken: cancellationToken).ConfigureAwait(false);
                    released.Add(pod.Metadata.Uid);
                    break;
                }
                catch (NotFoundException)
                {
                    released.Add(pod.Metadata.Uid);
                    break;
                }
                catch (ConflictException)
                {
                    try
                    {
                        current = await _client.GetAsync<V1Pod>(pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken).ConfigureAwait(false);
                        if (current.Metadata.Uid != pod.Metadata.Uid)
                        {
                            released.Add(pod.Metadata.Uid);
                            break;
                        }
                    }
                    catch (NotFoundException)
                    {
                        released.Add(pod.Metadata.Uid);
                        break;
                    }
                }
            }
        }

        return released;
    }

    private async Task<V1Job?> WriteStatusAsync(V1Job job, V1JobStatus status, CancellationToken cancellationToken)
    {
        var copy = ObjectCopy.Clone(job);
        copy.Status = status;
        try
        {
            var written = await _client.UpdateStatusAsync(copy, cancellationToken: cancellationToken).ConfigureAwait(false);
            _written.Record(Indexers.KeyOf(written), written.Metadata.ResourceVersion);
            return written;
        }
        catch (NotFoundException)
        {
            return null;
        }
    }

    /// <summary>Sets a condition; returns true when its status changed (then lastTransitionTime moves).</summary>
    internal static bool SetCondition(IList<V1JobCondition> conditions, string type, string status, string reason, string message, DateTimeOffset now)
    {
        var existing = conditions.FirstOrDefault(c => c.Type == type);
        if (existing is null)
        {
            conditions.Add(new V1JobCondition
            {
                Type = type, Status = status, Reason = reason, Message = message,
                LastProbeTime = now.UtcDateTime, LastTransitionTime = now.UtcDateTime,
            });
            return true;
        }

        if (existing.Status == status && existing.Reason == reason && existing.Message == message) return false;
        var changed = existing.Status != status;
        if (changed) existing.LastTransitionTime = now.UtcDateTime;
        existing.Status = status;
        existing.Reason = reason;
        existing.Message = message;
        existing.LastProbeTime = now.UtcDateTime;
        return changed;
    }

    private static bool StatusEquals(V1JobStatus? a, V1JobStatus b) =>
        a is not null && k8s.KubernetesJson.Serialize(a) == k8s.KubernetesJson.Serialize(b);

    private static DateTimeOffset Utc(DateTime t) => new(DateTime.SpecifyKind(t, DateTimeKind.Utc));

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Key}: {Condition} ({Reason})")]
    private partial void LogCriteria(string key, string condition, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Key} finished: {Condition} ({Reason})")]
    private partial void LogFinished(string key, string condition, string reason);
}
