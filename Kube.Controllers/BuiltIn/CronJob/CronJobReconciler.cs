using System.Globalization;
using k8s.Models;
using Kube.Controllers.BuiltIn.Job;
using Kube.Controllers.Internal;
using Kube.Controllers.Runtime;
using Kube.Core.Client;
using Kube.Core.Events;
using Kube.Core.Helpers;
using Kube.Core.Informers;
using Microsoft.Extensions.Logging;

namespace Kube.Controllers.BuiltIn.CronJob;

/// <summary>
/// The CronJob controller (upstream's cronjob_controllerv2): at each scheduled time of <c>spec.schedule</c> (in
/// <c>spec.timeZone</c>, else the controller's local zone) it creates the Job <c>&lt;cronjob&gt;-&lt;scheduled time in
/// minutes&gt;</c> from <c>spec.jobTemplate</c>, honouring suspend, startingDeadlineSeconds and concurrencyPolicy
/// (Allow, Forbid, Replace); it keeps <c>status.active</c>, <c>lastScheduleTime</c> and <c>lastSuccessfulTime</c>, and
/// deletes finished Jobs beyond successfulJobsHistoryLimit (3) and failedJobsHistoryLimit (1).
/// </summary>
public sealed partial class CronJobReconciler : IReconciler<V1CronJob>
{
    /// <summary>Upstream's annotation with the scheduled time a Job was created for (RFC 3339, in the CronJob's zone).</summary>
    public const string ScheduledTimestampAnnotation = "batch.kubernetes.io/cronjob-scheduled-timestamp";

    private readonly IKubeClient _client;
    private readonly IInformer<V1CronJob> _cronJobs;
    private readonly IInformer<V1Job> _jobs;
    private readonly TimeProvider _time;
    private readonly ILogger<CronJobReconciler> _logger;
    private readonly IEventRecorder? _events;
    private readonly WrittenVersions _written = new();

    public CronJobReconciler(IKubeClient client, ISharedInformerFactory informers, TimeProvider time, ILogger<CronJobReconciler> logger,
        IEventRecorder? events = null)
    {
        ArgumentNullException.ThrowIfNull(informers);
        _client = client;
        _cronJobs = informers.GetInformer<V1CronJob>();
        _jobs = informers.GetInformer<V1Job>();
        _time = time;
        _logger = logger;
        _events = events;
    }

    /// <inheritdoc />
    public async Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken cancellationToken)
    {
        var cached = _cronJobs.Cache.Get(request.Namespace, request.Name);
        if (cached is null || cached.Metadata.DeletionTimestamp is not null)
        {
            _written.Forget(request.ToString());
            return ReconcileResult.Done;
        }

        // Until the cache shows our last status write, status.active may miss the Job we just started.
        if (_written.IsBehind(request.ToString(), cached.Metadata.ResourceVersion)) return ReconcileResult.RequeueAfter(TimeSpan.FromMilliseconds(100));
        var cj = ObjectCopy.Clone(cached);
        cj.Status ??= new V1CronJobStatus();
        var before = k8s.KubernetesJson.Serialize(cj.Status);
        var key = request.ToString();
        var owned = _jobs.Cache.ByIndex(Indexers.Namespace, cj.Metadata.NamespaceProperty ?? "")
            .Where(j => OwnerReferences.GetControllerOf(j)?.Uid == cj.Metadata.Uid)
            .ToList();

        await SyncActiveAsync(cj, owned, cancellationToken).ConfigureAwait(false);
        var requeue = await ScheduleAsync(key, cj, owned, cancellationToken).ConfigureAwait(false);
        if (k8s.KubernetesJson.Serialize(cj.Status) != before)
        {
            try
            {
                var written = await _client.UpdateStatusAsync(cj, cancellationToken: cancellationToken).ConfigureAwait(false);
                _written.Record(key, written.Metadata.ResourceVersion);
            }
            catch (NotFoundException)
            {
                return ReconcileResult.Done;
            }
        }

        await CleanupHistoryAsync(cj, owned, cancellationToken).ConfigureAwait(false);
        return requeue is { } r ? ReconcileResult.RequeueAfter(r) : ReconcileResult.Done;
    }

    /// <summary>Drops finished and vanished Jobs from status.active and moves lastSuccessfulTime forward.</summary>
    private async Task SyncActiveAsync(V1CronJob cj, List<V1Job> owned, CancellationToken cancellationToken)
    {
        var active = cj.Status.Active?.ToList() ?? [];
        foreach (var job in owned)
        {
            var inActive = active.Any(r => r.Uid == job.Metadata.Uid);
            var finished = FinishedType(job);
            if (!inActive && finished is null && job.Metadata.Annotations?.ContainsKey(ScheduledTimestampAnnotation) == true)
            {
                // Started for a scheduled time, but the status write that should have listed it was lost: list it now.
                active.Add(Reference(job));
            }
            else if (!inActive && finished is null)
            {
                _events?.Record(cj, EventTypes.Warning, "UnexpectedJob", "Sync", $"Saw a job that the controller did not create or forgot: {job.Metadata.Name}");
            }
            else if (inActive && finished is not null)
            {
                active.RemoveAll(r => r.Uid == job.Metadata.Uid);
                _events?.Record(cj, EventTypes.Normal, "SawCompletedJob", "Sync", $"Saw completed job: {job.Metadata.Name}, condition: {finished}");
            }

            if (finished == JobConstants.Complete && job.Status?.CompletionTime is { } done
                && (cj.Status.LastSuccessfulTime is null || done > cj.Status.LastSuccessfulTime))
                cj.Status.LastSuccessfulTime = done;
        }

        foreach (var r in active.ToList())
        {
            if (owned.Any(j => j.Metadata.Uid == r.Uid)) continue;
            // Not in the cache: ask the server before forgetting it (the cache may not show a new Job yet).
            try
            {
                var job = await _client.GetAsync<V1Job>(r.Name, r.NamespaceProperty ?? cj.Metadata.NamespaceProperty, cancellationToken).ConfigureAwait(false);
                if (job.Metadata.Uid == r.Uid) continue;
            }
            catch (NotFoundException)
            {
            }

            active.Remove(r);
            _events?.Record(cj, EventTypes.Normal, "MissingJob", "Sync", $"Active job went missing: {r.Name}");
        }

        cj.Status.Active = active.Count == 0 ? null : active;
    }

    /// <summary>Starts the Job of the most recent unmet scheduled time, if due; returns when to look again.</summary>
    private async Task<TimeSpan?> ScheduleAsync(string key, V1CronJob cj, List<V1Job> owned, CancellationToken cancellationToken)
    {
        TimeZoneInfo zone;
        if (string.IsNullOrEmpty(cj.Spec.TimeZone))
        {
            zone = _time.LocalTimeZone;
        }
        else if (!TryFindZone(cj.Spec.TimeZone, out zone))
        {
            _events?.Record(cj, EventTypes.Warning, "UnknownTimeZone", "Schedule", $"invalid timeZone: \"{cj.Spec.TimeZone}\"");
            return null;
        }

        if (!CronSchedule.TryParse(cj.Spec.Schedule, out var schedule, out var error))
        {
            _events?.Record(cj, EventTypes.Warning, "UnparseableSchedule", "Schedule", $"unparseable schedule: \"{cj.Spec.Schedule}\" : {error}");
            LogUnparseable(key, cj.Spec.Schedule ?? "", error);
            return null;
        }

        if (cj.Spec.Suspend == true) return null;
        var now = _time.GetUtcNow();
        var earliest = Utc(cj.Status.LastScheduleTime ?? cj.Metadata.CreationTimestamp ?? now.UtcDateTime);
        if (cj.Spec.StartingDeadlineSeconds is { } sds && now.AddSeconds(-sds) > earliest) earliest = now.AddSeconds(-sds);
        var (scheduled, missed, next) = schedule!.Plan(earliest, now, zone);
        var wait = next is { } n ? n - now + TimeSpan.FromMilliseconds(100) : (TimeSpan?)null;
        if (scheduled is not { } at) return wait;
        if (missed > 100)
            _events?.Record(cj, EventTypes.Warning, "TooManyMissedTimes", "Schedule",
                $"too many missed start times: {missed}. Set or decrease .spec.startingDeadlineSeconds or check clock skew");

        if (cj.Spec.StartingDeadlineSeconds is { } deadline && at.AddSeconds(deadline) < now)
        {
            _events?.Record(cj, EventTypes.Warning, "MissSchedule", "Schedule", $"Missed scheduled time to start a job: {at.UtcDateTime.ToString("R", CultureInfo.InvariantCulture)}");
            return wait;
        }

        var name = JobName(cj.Metadata.Name, at);
        if (owned.Any(j => j.Metadata.Name == name) || cj.Status.Active?.Any(r => r.Name == name) == true)
        {
            // This scheduled time has its Job already (an earlier sync made it before the status was written).
            cj.Status.LastScheduleTime = Later(cj.Status.LastScheduleTime, at.UtcDateTime);
            return wait;
        }

        var policy = cj.Spec.ConcurrencyPolicy ?? "Allow";
        if (policy == "Forbid" && cj.Status.Active is { Count: > 0 })
        {
            _events?.Record(cj, EventTypes.Normal, "JobAlreadyActive", "Schedule", "Not starting job because prior execution is running and concurrency policy is Forbid");
            return wait;
        }

        if (policy == "Replace" && cj.Status.Active is { Count: > 0 } running)
        {
            foreach (var r in running.ToList())
            {
                try
                {
                    await _client.DeleteAsync<V1Job>(r.Name, r.NamespaceProperty ?? cj.Metadata.NamespaceProperty,
                        new DeleteOptions { PropagationPolicy = PropagationPolicy.Background, PreconditionUid = r.Uid }, cancellationToken).ConfigureAwait(false);
                    _events?.Record(cj, EventTypes.Normal, "SuccessfulDelete", "Delete", $"Deleted job {r.Name}");
                }
                catch (KubeApiException ex) when (ex is NotFoundException or ConflictException)
                {
                }
            }

            cj.Status.Active = null;
        }

        V1Job created;
        try
        {
            created = await _client.CreateAsync(NewJob(cj, name, at, zone), cancellationToken: cancellationToken).ConfigureAwait(false);
            _events?.Record(cj, EventTypes.Normal, "SuccessfulCreate", "Create", $"Created job {name}");
            LogCreated(key, name, at);
        }
        catch (AlreadyExistsException)
        {
            created = await _client.GetAsync<V1Job>(name, cj.Metadata.NamespaceProperty, cancellationToken).ConfigureAwait(false);
            if (OwnerReferences.GetControllerOf(created)?.Uid != cj.Metadata.Uid) return wait;
            if (FinishedType(created) is not null)
            {
                cj.Status.LastScheduleTime = Later(cj.Status.LastScheduleTime, at.UtcDateTime);
                return wait;
            }
        }
        catch (KubeApiException ex) when (ex is not ConflictException)
        {
            _events?.Record(cj, EventTypes.Warning, "FailedCreate", "Create", $"Error creating job: {ex.Message}");
            throw;
        }

        cj.Status.Active ??= new List<V1ObjectReference>();
        if (!cj.Status.Active.Any(r => r.Uid == created.Metadata.Uid))
        {
            cj.Status.Active.Add(Reference(created));
        }

        cj.Status.LastScheduleTime = Later(cj.Status.LastScheduleTime, at.UtcDateTime);
        return wait;
    }

    /// <summary>Deletes the oldest finished Jobs beyond the history limits.</summary>
    private async Task CleanupHistoryAsync(V1CronJob cj, List<V1Job> owned, CancellationToken cancellationToken)
    {
        if (cj.Spec.SuccessfulJobsHistoryLimit is null && cj.Spec.FailedJobsHistoryLimit is null) return;
        foreach (var (type, limit) in new[] { (JobConstants.Complete, cj.Spec.SuccessfulJobsHistoryLimit), (JobConstants.Failed, cj.Spec.FailedJobsHistoryLimit) })
        {
            if (limit is not { } keep) continue;
            var finished = owned.Where(j => FinishedType(j) == type && j.Metadata.DeletionTimestamp is null)
                .OrderBy(j => j.Status?.StartTime ?? j.Metadata.CreationTimestamp ?? DateTime.MinValue)
                .ToList();
            foreach (var job in finished.Take(Math.Max(0, finished.Count - keep)))
            {
                try
                {
                    await _client.DeleteAsync<V1Job>(job.Metadata.Name, job.Metadata.NamespaceProperty,
                        new DeleteOptions { PropagationPolicy = PropagationPolicy.Background, PreconditionUid = job.Metadata.Uid }, cancellationToken).ConfigureAwait(false);
                    _events?.Record(cj, EventTypes.Normal, "SuccessfulDelete", "Delete", $"Deleted job {job.Metadata.Name}");
                }
                catch (KubeApiException ex) when (ex is NotFoundException or ConflictException)
                {
                }
            }
        }
    }

    /// <summary>The Job for one scheduled time: the template's labels, annotations and spec, owned by the CronJob.</summary>
    internal static V1Job NewJob(V1CronJob cj, string name, DateTimeOffset scheduled, TimeZoneInfo zone)
    {
        var template = ObjectCopy.Clone(cj.Spec.JobTemplate ?? throw new InvalidOperationException($"CronJob {cj.Metadata.Name} has no jobTemplate."));
        var annotations = template.Metadata?.Annotations is { } a ? new Dictionary<string, string>(a) : new Dictionary<string, string>();
        var local = TimeZoneInfo.ConvertTime(scheduled, zone);
        annotations[ScheduledTimestampAnnotation] = local.Offset == TimeSpan.Zero
            ? local.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)
            : local.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
        return new V1Job
        {
            ApiVersion = "batch/v1",
            Kind = "Job",
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = cj.Metadata.NamespaceProperty,
                Labels = template.Metadata?.Labels,
                Annotations = annotations,
                OwnerReferences = [OwnerReferences.NewControllerRef(cj)],
            },
            Spec = template.Spec,
        };
    }

    /// <summary>Upstream's getJobName: the CronJob's name and the scheduled time in minutes since the epoch.</summary>
    internal static string JobName(string cronJobName, DateTimeOffset scheduled) =>
        $"{cronJobName}-{(scheduled.ToUnixTimeSeconds() / 60).ToString(CultureInfo.InvariantCulture)}";

    private static V1ObjectReference Reference(V1Job job) => new()
    {
        ApiVersion = "batch/v1", Kind = "Job", Name = job.Metadata.Name, NamespaceProperty = job.Metadata.NamespaceProperty,
        Uid = job.Metadata.Uid, ResourceVersion = job.Metadata.ResourceVersion,
    };

    private static string? FinishedType(V1Job job) =>
        job.Status?.Conditions?.FirstOrDefault(c => c.Status == Conditions.True && c.Type is JobConstants.Complete or JobConstants.Failed)?.Type;

    private static bool TryFindZone(string id, out TimeZoneInfo zone)
    {
        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(id);
            return true;
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            zone = TimeZoneInfo.Utc;
            return false;
        }
    }

    private static DateTime Later(DateTime? a, DateTime b) => a is { } x && x > b ? x : b;

    private static DateTimeOffset Utc(DateTime t) => new(DateTime.SpecifyKind(t, DateTimeKind.Utc));

    [LoggerMessage(Level = LogLevel.Information, Message = "CronJob {Key}: created job {Job} for {Scheduled}")]
    private partial void LogCreated(string key, string job, DateTimeOffset scheduled);

    [LoggerMessage(Level = LogLevel.Warning, Message = "CronJob {Key}: unparseable schedule \"{Schedule}\": {Error}")]
    private partial void LogUnparseable(string key, string schedule, string error);
}
