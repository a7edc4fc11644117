using System.Collections.Concurrent;
using k8s.Models;
using Kube.Core.Client;
using Kube.Core.Informers;
using Kube.Core.LeaderElection;
using Kube.Scheduling.Cache;
using Kube.Scheduling.Framework;
using Kube.Scheduling.Internal;
using Kube.Scheduling.Queue;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kube.Scheduling;

/// <summary>
/// The scheduler as a hosted service: informers on nodes and pods feed the <see cref="SchedulerCache"/> and the
/// <see cref="SchedulingQueue"/>; one loop pops pods, runs the profile's plugins over a snapshot, assumes the pod on the
/// chosen node and binds it asynchronously. Pods naming a scheduler without a profile here are left alone.
/// </summary>
public sealed partial class KubeScheduler : BackgroundService
{
    private readonly IKubeClient _client;
    private readonly ISharedInformerFactory _informers;
    private readonly IReadOnlyList<PluginRegistration> _registry;
    private readonly IServiceProvider _services;
    private readonly SchedulerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<KubeScheduler> _logger;
    private readonly ConcurrentDictionary<string, Task> _bindings = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Dictionary<string, SchedulingFramework> _profiles = new(StringComparer.Ordinal);
    private readonly SchedulerMetrics _metrics;
    private readonly ILoggerFactory? _loggers;
    private IInformer<V1Pod>? _pods;

    public KubeScheduler(
        IKubeClient client,
        ISharedInformerFactory informers,
        IEnumerable<PluginRegistration> registry,
        IServiceProvider services,
        IOptions<SchedulerOptions> options,
        TimeProvider time,
        ILogger<KubeScheduler> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _client = client;
        _informers = informers;
        _registry = registry.ToList();
        _services = services;
        _options = options.Value;
        _time = time;
        _logger = logger;
        Queue = new SchedulingQueue(time, _options);
        Queue.IsWorthRequeuing = IsWorthRequeuing;
        _loggers = services.GetService(typeof(ILoggerFactory)) as ILoggerFactory;
        _metrics = new SchedulerMetrics(services.GetService(typeof(System.Diagnostics.Metrics.IMeterFactory)) as System.Diagnostics.Metrics.IMeterFactory, Queue);
        Algorithm = new SchedulingAlgorithm(_options, _options.Seed is { } seed ? new Random(seed) : new Random());
        Cache = new SchedulerCache(time, _options.DurationToExpireAssumedPod);
    }

    public SchedulingQueue Queue { get; }

    public SchedulerCache Cache { get; }

    /// <summary>The pods nominated to nodes by preemption, shared by every profile.</summary>
    internal PodNominator Nominator { get; } = new();

    public SchedulingAlgorithm Algorithm { get; }

    /// <summary>Completes when the caches have synced and the scheduling loop runs.</summary>
    public Task Started => _started.Task;

    /// <summary>The frameworks by scheduler name (available once started).</summary>
    public IReadOnlyDictionary<string, SchedulingFramework> Profiles => _profiles;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var registrations = new List<IDisposable>();
        try
        {
            _profiles = _options.EffectiveProfiles().ToDictionary(
                p => p.SchedulerName,
                p => SchedulingFramework.Create(p, _registry, _services, Nominator, _time),
                StringComparer.Ordinal);
            var sorts = _profiles.Values.Select(f => f.QueueSort?.Name ?? "").Distinct(StringComparer.Ordinal).ToList();
            if (sorts.Count > 1)
                throw new InvalidOperationException($"Scheduler profiles must use the same QueueSort plugin; they use {string.Join(", ", sorts.Select(n => n.Length == 0 ? "none" : n))}.");
            var sort = _profiles.Values.Select(f => f.QueueSort).FirstOrDefault(q => q is not null);
            if (sort is not null and not Plugins.PrioritySort.PrioritySortPlugin) Queue.QueueSort = sort;
            foreach (var (name, fwk) in _profiles)
                if (!fwk.HasBindPlugin)
                    throw new InvalidOperationException($"Scheduler profile \"{name}\" has no bind plugin.");

            var nodes = _informers.GetInformer<V1Node>();
            _pods = _informers.GetInformer<V1Pod>();
            registrations.Add(nodes.AddEventHandler(new NodeHandler(this)));
            registrations.Add(_pods.AddEventHandler(new PodHandler(this)));
            // Volume objects matter only when a profile's plugin registered events on them (VolumeBinding).
            var registered = _profiles.Values.SelectMany(f => f.Plugins.OfType<IEnqueueExtensions>()).SelectMany(p => p.EventsToRegister()).Select(e => e.Event.Resource).ToHashSet();
            if (registered.Contains(EventResource.PersistentVolumeClaim))
                registrations.Add(_informers.GetInformer<V1PersistentVolumeClaim>().AddEventHandler(new EventHandler<V1PersistentVolumeClaim>(this, EventResource.PersistentVolumeClaim)));
            if (registered.Contains(EventResource.PersistentVolume))
                registrations.Add(_informers.GetInformer<V1PersistentVolume>().AddEventHandler(new EventHandler<V1PersistentVolume>(this, EventResource.PersistentVolume)));
            if (registered.Contains(EventResource.StorageClass))
                registrations.Add(_informers.GetInformer<V1StorageClass>().AddEventHandler(new EventHandler<V1StorageClass>(this, EventResource.StorageClass)));
            IInformer<V1Namespace>? namespaces = null;
            if (registered.Contains(EventResource.Namespace))
            {
                namespaces = _informers.GetInformer<V1Namespace>();
                registrations.Add(namespaces.AddEventHandler(new EventHandler<V1Namespace>(this, EventResource.Namespace,
                    (a, b) => SameMap(a.Metadata?.Labels, b.Metadata?.Labels, string.Equals) ? ActionType.None : ActionType.UpdateNamespaceLabel)));
            }

            _informers.Start(stoppingToken);
            await nodes.WaitForSyncAsync(stoppingToken).ConfigureAwait(false);
            await _pods.WaitForSyncAsync(stoppingToken).ConfigureAwait(false);
            if (namespaces is not null) await namespaces.WaitForSyncAsync(stoppingToken).ConfigureAwait(false);
            Queue.Start();
            if (Cache.AssumedPodTtl > TimeSpan.Zero) _ = CleanupAssumedPodsLoopAsync(stoppingToken);
            LogStarted(string.Join(", ", _profiles.Keys));
            _started.TrySetResult();

            if (_options.LeaderElection)
                await RunWithLeaderElectionAsync(stoppingToken).ConfigureAwait(false);
            else
                await ScheduleLoopAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            _started.TrySetException(ex);
            throw;
        }
        finally
        {
            _started.TrySetCanceled(CancellationToken.None);
            foreach (var r in registrations) r.Dispose();
            Queue.Dispose();
            try
            {
                await Task.WhenAll(_bindings.Values.Concat(_events.Keys)).WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Bindings still running at shutdown are abandoned; their pods are retried by the next scheduler.
            }
        }
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        base.Dispose();
        _metrics.Dispose();
    }

    /// <summary>Upstream's cleanupAssumedPods every CleanAssumedPeriod (only with a positive DurationToExpireAssumedPod).</summary>
    private async Task CleanupAssumedPodsLoopAsync(CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await Task.Delay(_options.CleanAssumedPeriod, _time, ct).ConfigureAwait(false);
                foreach (var pod in Cache.CleanupExpiredAssumedPods())
                    LogAssumedPodExpired($"{pod.Metadata.NamespaceProperty}/{pod.Metadata.Name}", pod.Spec?.NodeName ?? "");
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Pops and schedules pods until <paramref name="cancellationToken"/> is cancelled (shutdown, or leadership lost).</summary>
    private async Task ScheduleLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            QueuedPodInfo? info;
            try
            {
                info = await Queue.PopAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            if (info is null) return;
            try
            {
                await ScheduleOneAsync(info, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogScheduleError(ex, info.Key);
                Queue.AddUnschedulableIfNotPresent(info, Queue.SchedulingCycle, error: true);
            }
            catch (OperationCanceledException)
            {
                Queue.AddUnschedulableIfNotPresent(info, Queue.SchedulingCycle, error: true);
                return;
            }
        }
    }

    /// <summary>Schedules only while holding the Lease; the caches stay warm meanwhile. Campaigns again after losing it.</summary>
    private Task RunWithLeaderElectionAsync(CancellationToken stoppingToken)
    {
        var identity = _options.Identity ?? $"{Environment.MachineName}_{Guid.NewGuid():N}";
        var election = new LeaderElectionOptions { LeaseName = _options.LeaseName, LeaseNamespace = _options.LeaseNamespace, Identity = identity };
        // Losing the lease cancels the loop's token; the scheduler then campaigns again instead of failing the host.
        return LeaderElector.RunWhileLeadingAsync(_client, election, ScheduleLoopAsync, _time, _loggers?.CreateLogger<LeaderElector>(), null, stoppingToken);
    }

    internal bool IsResponsibleFor(V1Pod pod) => _profiles.ContainsKey(SchedulerNameOf(pod));

    private static string SchedulerNameOf(V1Pod pod) =>
        string.IsNullOrEmpty(pod.Spec?.SchedulerName) ? SchedulerOptions.DefaultSchedulerName : pod.Spec.SchedulerName;

    private async Task ScheduleOneAsync(QueuedPodInfo info, CancellationToken ct)
    {
        var pod = info.Pod;
        var cycle = Queue.SchedulingCycle;
        if (pod.Metadata.DeletionTimestamp is not null || Cache.Contains(pod.Metadata.Uid) || !_profiles.TryGetValue(SchedulerNameOf(pod), out var fwk))
        {
            Queue.Done(info.Key);
            return;
        }

        var state = new CycleState();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var snapshot = Cache.Snapshot();
        var result = Algorithm.Schedule(fwk, state, pod, snapshot);
        if (result.SuggestedHost is not { } host)
        {
            string? nominated = null;
            Task? pending = null;
            var message = result.FailureMessage ?? "";
            if (!result.IsError && result.NumAllNodes > 0 && fwk.HasPostFilterPlugins)
            {
                var post = await fwk.RunPostFilterAsync(state, pod, result.FailedNodes, ct).ConfigureAwait(false);
                if (post.Status.IsSuccess)
                {
                    nominated = post.NominatedNodeName;
                    pending = post.Pending;
                    if (post.AwaitedPodUids is { Count: > 0 } awaited) _awaitedVictims[info.Key] = [.. awaited];
                }
                else if (post.Status.Reasons.Count > 0)
                {
                    message = FitError.Message(result.NumAllNodes, result.PreFilterStatus, result.FailedNodes, post.Status.Message);
                }
            }

            _metrics.Attempt(result.IsError ? "error" : "unschedulable", fwk.SchedulerName, started);
            info.UnschedulablePlugins = result.FailedNodes.Values.Select(s => s.Plugin).OfType<string>().ToHashSet(StringComparer.Ordinal);
            if (result.PreFilterStatus?.Plugin is { } pf) info.UnschedulablePlugins = new HashSet<string>(info.UnschedulablePlugins) { pf };
            if (nominated is not null) Nominator.AddNominatedPod(pod, nominated);
            if (pending is null) Queue.AddUnschedulableIfNotPresent(info, cycle, result.IsError);
            else RequeueWhenDone(info, cycle, pending);
            LogUnschedulable(info.Key, message);
            RecordFailureInBackground(pod, result.IsError ? "SchedulerError" : "Unschedulable", message, nominated, ct);
            return;
        }

        _metrics.Attempt("scheduled", fwk.SchedulerName, started);
        Cache.AssumePod(pod, host);
        var reserve = fwk.RunReserve(state, pod, host);
        if (!reserve.IsSuccess)
        {
            fwk.RunUnreserve(state, pod, host);
            Cache.ForgetPod(pod);
            Queue.AddUnschedulableIfNotPresent(info, cycle, reserve.Code == StatusCode.Error);
            RecordFailureInBackground(pod, "Unschedulable", $"running Reserve plugin \"{reserve.Plugin}\": {reserve.Message}", null, ct);
            return;
        }

        var permit = fwk.RunPermit(state, pod, host);
        if (!permit.IsSuccess && permit.Code != StatusCode.Wait)
        {
            fwk.RunUnreserve(state, pod, host);
            Cache.ForgetPod(pod);
            Queue.AddUnschedulableIfNotPresent(info, cycle, permit.Code == StatusCode.Error);
            RecordFailureInBackground(pod, "Unschedulable", $"running Permit plugin \"{permit.Plugin}\": {permit.Message}", null, ct);
            return;
        }

        // The pod no longer needs its nomination: it is assumed on a node.
        Nominator.DeleteNominatedPodIfExists(pod);

        // The binding cycle runs asynchronously; the next pod is scheduled meanwhile against the assumed state.
        var binding = Task.Run(() => BindAsync(fwk, state, info, host, cycle, ct), CancellationToken.None);
        _bindings[info.Key] = binding;
        _ = binding.ContinueWith(t => _bindings.TryRemove(new KeyValuePair<string, Task>(info.Key, t)), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>
    /// The pod goes back to the queue once the work its PostFilter left running (asynchronous preemption) is done; until
    /// then it stays in flight, so it is not tried again, and the cluster events meanwhile (its victims going) decide
    /// whether it backs off or waits as unschedulable. A fault sends it to backoff, as upstream's activation on error.
    /// </summary>
    private void RequeueWhenDone(QueuedPodInfo info, long cycle, Task pending)
    {
        var requeue = pending.ContinueWith(t =>
        {
            if (t.Exception is { } ex && ex.InnerException is not OperationCanceledException) LogPostFilterFailed(ex.InnerException ?? ex, info.Key);
            Queue.AddUnschedulableIfNotPresent(info, cycle, error: !t.IsCompletedSuccessfully);
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        _events[requeue] = 0;
        _ = requeue.ContinueWith(t => _events.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task BindAsync(SchedulingFramework fwk, CycleState state, QueuedPodInfo info, string host, long cycle, CancellationToken ct)
    {
        var pod = info.Pod;
        Status status;
        try
        {
            status = await fwk.WaitOnPermitAsync(pod, ct).ConfigureAwait(false);
            if (status.IsSuccess) status = await fwk.RunPreBindAsync(state, pod, host, ct).ConfigureAwait(false);
            if (status.IsSuccess) status = await fwk.RunBindAsync(state, pod, host, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Shutting down or no longer leading: undo the assumption so that whoever schedules next starts clean.
            fwk.RunUnreserve(state, pod, host);
            Cache.ForgetPod(pod);
            Queue.AddUnschedulableIfNotPresent(info, cycle, error: true);
            return;
        }

        if (status.IsSuccess)
        {
            Cache.FinishBinding(pod);
            Queue.Done(info.Key);
            LogBound(info.Key, host);
            fwk.RunPostBind(state, pod, host);
            RecordEventInBackground(pod, "Normal", "Scheduled", $"Successfully assigned {info.Key} to {host}", ct);
            return;
        }

        LogBindFailed(info.Key, host, status.Message);
        fwk.RunUnreserve(state, pod, host);
        Cache.ForgetPod(pod);
        if (status.Error is NotFoundException)
        {
            Queue.Done(info.Key);
            return;
        }

        var rejected = status.IsRejected;
        Queue.AddUnschedulableIfNotPresent(info, cycle, error: !rejected);
        Queue.MoveAllToActiveOrBackoff();
        await RecordFailureAsync(pod, rejected ? "Unschedulable" : "SchedulerError",
            rejected ? $"running \"{status.Plugin}\": {status.Message}" : $"binding rejected: {status.Message}", null, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// <see cref="RecordFailureAsync"/> off the scheduling loop, as upstream's asynchronous API calls (SchedulerAsyncAPICalls,
    /// on by default since 1.34): the loop goes on with the next pod while the status is written. The write carries the
    /// pod's resourceVersion, so one that lands after the pod was bound meanwhile fails with a conflict and changes nothing.
    /// </summary>
    private void RecordFailureInBackground(V1Pod pod, string reason, string message, string? nominatedNodeName, CancellationToken ct)
    {
        var write = Task.Run(() => RecordFailureAsync(pod, reason, message, nominatedNodeName, ct), CancellationToken.None);
        _events[write] = 0;
        _ = write.ContinueWith(t =>
        {
            _events.TryRemove(t, out _);
            if (t.Exception is { } ex && ex.InnerException is not OperationCanceledException) LogEventFailed(ex.InnerException ?? ex, reason);
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Sets PodScheduled=False with the reason and message (when they changed) and records a FailedScheduling event.</summary>
    private async Task RecordFailureAsync(V1Pod pod, string reason, string message, string? nominatedNodeName, CancellationToken ct)
    {
        // A pod the informer no longer has was deleted: nothing to report (upstream: "Pod doesn't exist in informer cache").
        var current = _pods is null ? pod : _pods.Cache.Get(pod.Metadata.NamespaceProperty, pod.Metadata.Name);
        if (current is null || current.Metadata.Uid != pod.Metadata.Uid || !string.IsNullOrEmpty(current.Spec?.NodeName)) return;
        var existing = current.Status?.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled");
        if (existing is not null && existing.Status == "False" && existing.Reason == reason && existing.Message == message
            && (nominatedNodeName is null || current.Status?.NominatedNodeName == nominatedNodeName)) return;

        // A shallow copy with its own status and condition list (the informer's object stays untouched; no JSON round trip).
        var copy = PodCopy.WithStatus(current);
        copy.Status.Phase ??= "Pending";
        var conditions = (copy.Status.Conditions ?? []).Where(c => c.Type != "PodScheduled").ToList();
        conditions.Add(new V1PodCondition
        {
            Type = "PodScheduled",
            Status = "False",
            Reason = reason,
            Message = message,
            LastTransitionTime = existing?.Status == "False" ? existing.LastTransitionTime : _time.GetUtcNow().UtcDateTime,
        });
        copy.Status.Conditions = conditions;
        if (nominatedNodeName is not null) copy.Status.NominatedNodeName = nominatedNodeName;
        try
        {
            await _client.UpdateStatusAsync(copy, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (KubeApiException ex) when (ex is ConflictException or NotFoundException)
        {
            // The pod changed or went away; the next attempt writes the condition again.
        }

        if (_options.RecordEvents) RecordEventInBackground(pod, "Warning", "FailedScheduling", message, ct);
    }

    /// <summary>
    /// Writes an event without making the caller wait, as upstream's event broadcaster: at most
    /// <see cref="MaxQueuedEvents"/> writes are in flight; beyond that events are dropped (upstream's broadcaster queue
    /// holds 1000 and drops too), so a slow API server never holds up the scheduling loop or a binding.
    /// </summary>
    private void RecordEventInBackground(V1Pod pod, string type, string reason, string message, CancellationToken ct)
    {
        if (!_options.RecordEvents) return;
        if (Interlocked.Increment(ref _eventsInFlight) > MaxQueuedEvents)
        {
            Interlocked.Decrement(ref _eventsInFlight);
            LogEventDropped(reason);
            return;
        }

        var write = RecordEventAsync(pod, type, reason, message, ct);
        _events[write] = 0;
        _ = write.ContinueWith(t =>
        {
            _events.TryRemove(t, out _);
            Interlocked.Decrement(ref _eventsInFlight);
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>The most event writes in flight (upstream's maxQueuedEvents).</summary>
    private const int MaxQueuedEvents = 1000;

    private int _eventsInFlight;
    private readonly ConcurrentDictionary<Task, byte> _events = new();

    private async Task RecordEventAsync(V1Pod pod, string type, string reason, string message, CancellationToken ct)
    {
        var component = SchedulerNameOf(pod);
        if (!_options.RecordEvents) return;
        var now = _time.GetUtcNow().UtcDateTime;
        var ev = new Corev1Event
        {
            ApiVersion = "v1",
            Kind = "Event",
            Metadata = new V1ObjectMeta { GenerateName = pod.Metadata.Name + ".", NamespaceProperty = pod.Metadata.NamespaceProperty },
            InvolvedObject = new V1ObjectReference
            {
                ApiVersion = "v1",
                Kind = "Pod",
                Name = pod.Metadata.Name,
                NamespaceProperty = pod.Metadata.NamespaceProperty,
                Uid = pod.Metadata.Uid,
                ResourceVersion = pod.Metadata.ResourceVersion,
            },
            Reason = reason,
            Message = message,
            Type = type,
            Count = 1,
            FirstTimestamp = now,
            LastTimestamp = now,
            Source = new V1EventSource { Component = component },
            ReportingComponent = component,
        };
        try
        {
            await _client.CreateAsync(ev, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogEventFailed(ex, reason);
        }
    }

    private void OnPod(V1Pod? oldPod, V1Pod pod)
    {
        if (!string.IsNullOrEmpty(pod.Spec?.NodeName))
        {
            Queue.Delete(pod);
            Nominator.DeleteNominatedPodIfExists(pod);
            if (!_awaitedVictims.IsEmpty) _awaitedVictims.TryRemove(QueuedPodInfo.KeyOf(pod), out _);
            if (pod.Status?.Phase is "Succeeded" or "Failed")
            {
                if (Cache.Contains(pod.Metadata.Uid))
                {
                    Cache.RemovePod(pod);
                    Queue.MoveAllToActiveOrBackoff(new ClusterEvent(EventResource.Pod, ActionType.Delete), oldPod, pod);
                }
            }
            else
            {
                var known = Cache.Contains(pod.Metadata.Uid);
                var assumed = known && Cache.IsAssumed(pod.Metadata.Uid);
                Cache.AddOrUpdatePod(pod);
                // A pod that appears on a node, or whose labels change there, can satisfy affinity or spreading of others.
                if (!known || assumed) Queue.MoveAllToActiveOrBackoff(new ClusterEvent(EventResource.Pod, ActionType.Add), null, pod);
                else if (oldPod is not null && !SameMap(oldPod.Metadata?.Labels, pod.Metadata?.Labels, string.Equals))
                    Queue.MoveAllToActiveOrBackoff(new ClusterEvent(EventResource.Pod, ActionType.UpdatePodLabel), oldPod, pod);
            }

            return;
        }

        if (pod.Metadata.DeletionTimestamp is not null)
        {
            Queue.Delete(pod);
            Nominator.DeleteNominatedPodIfExists(pod);
            return;
        }

        if (_profiles.ContainsKey(SchedulerNameOf(pod)))
        {
            if (pod.Status?.NominatedNodeName is { Length: > 0 } nominated) Nominator.AddNominatedPod(pod, nominated);
            else if (oldPod?.Status?.NominatedNodeName is { Length: > 0 }) Nominator.DeleteNominatedPodIfExists(pod);
        }

        if (!_profiles.TryGetValue(SchedulerNameOf(pod), out var fwk) || Cache.IsAssumed(pod.Metadata.Uid)) return;
        if (!fwk.RunPreEnqueue(pod).IsSuccess)
        {
            // Gated: kept out of the queue; a later update that lifts the gate adds it.
            Queue.Delete(pod);
            return;
        }

        if (oldPod is null) Queue.Add(pod);
        else Queue.Update(oldPod, pod);
    }

    private void OnPodDeleted(V1Pod pod)
    {
        Queue.Delete(pod);
        Nominator.DeleteNominatedPodIfExists(pod);
        if (!_awaitedVictims.IsEmpty) _awaitedVictims.TryRemove(QueuedPodInfo.KeyOf(pod), out _);
        // A pod waiting on Permit is assumed: reject it, as upstream's RejectWaitingPod (its binding cycle then unreserves it).
        foreach (var fwk in _profiles.Values)
            fwk.Handle.GetWaitingPod(pod.Metadata.Uid)?.Reject("", "removed");
        // Assumed or bound, the pod no longer takes room (a binding still in flight fails with NotFound and forgets nothing).
        if (Cache.Contains(pod.Metadata.Uid))
        {
            Cache.RemovePod(pod);
            Queue.MoveAllToActiveOrBackoff(new ClusterEvent(EventResource.Pod, ActionType.Delete), pod, null);
        }
    }

    private void OnNode(V1Node? oldNode, V1Node node)
    {
        Cache.AddOrUpdateNode(node);
        var action = oldNode is null ? ActionType.Add : NodeUpdateActions(oldNode, node);
        if (action != ActionType.None) Queue.MoveAllToActiveOrBackoff(new ClusterEvent(EventResource.Node, action), oldNode, node);
    }

    /// <summary>
    /// Whether the pod's profile says <paramref name="evt"/> may make it schedulable (queueing hints); never while the
    /// scheduler's cache still has one of its preemption victims running (upstream's IsPodRunningPreemption check of the
    /// last victim, here of every victim in the cache the next attempt reads).
    /// </summary>
    private bool IsWorthRequeuing(QueuedPodInfo info, ClusterEvent evt, object? oldObj, object? newObj)
    {
        if (_awaitedVictims.TryGetValue(info.Key, out var victims))
        {
            foreach (var uid in victims)
                if (Cache.HoldsRunning(uid)) return false;
            _awaitedVictims.TryRemove(info.Key, out _);
        }

        return !_profiles.TryGetValue(SchedulerNameOf(info.Pod), out var fwk) || fwk.IsWorthRequeuing(info.Pod, info.UnschedulablePlugins, evt, oldObj, newObj);
    }

    /// <summary>The victims each preemptor (by queue key) waits to see go; an entry leaves once they are gone or the pod is bound or deleted.</summary>
    private readonly ConcurrentDictionary<string, string[]> _awaitedVictims = new(StringComparer.Ordinal);

    /// <summary>
    /// What a node update changed that can make a pending pod fit: the unschedulable flag or taints (UpdateNodeTaint),
    /// labels, allocatable. Node heartbeats (conditions, times) change none of these and must not flush the queue.
    /// </summary>
    internal static ActionType NodeUpdateActions(V1Node a, V1Node b)
    {
        var action = ActionType.None;
        if ((a.Spec?.Unschedulable ?? false) != (b.Spec?.Unschedulable ?? false) || !SameTaints(a.Spec?.Taints, b.Spec?.Taints)) action |= ActionType.UpdateNodeTaint;
        if (!SameMap(a.Metadata?.Labels, b.Metadata?.Labels, string.Equals)) action |= ActionType.UpdateNodeLabel;
        if (!SameMap(a.Status?.Allocatable, b.Status?.Allocatable, (x, y) => x?.ToDecimal() == y?.ToDecimal())) action |= ActionType.UpdateNodeAllocatable;
        return action;
    }

    private static bool SameTaints(IList<V1Taint>? a, IList<V1Taint>? b)
    {
        var n = a?.Count ?? 0;
        if (n != (b?.Count ?? 0)) return false;
        for (var i = 0; i < n; i++)
        {
            var x = a![i];
            var y = b![i];
            if (x.Key != y.Key || x.Value != y.Value || x.Effect != y.Effect) return false;
        }
        return true;
    }

    private static bool SameMap<TValue>(IDictionary<string, TValue>? a, IDictionary<string, TValue>? b, Func<TValue, TValue, bool> equal)
    {
        if ((a?.Count ?? 0) != (b?.Count ?? 0)) return false;
        if (a is null || b is null) return true;
        foreach (var (key, value) in a)
            if (!b.TryGetValue(key, out var other) || !equal(value, other)) return false;
        return true;
    }

    private sealed class PodHandler(KubeScheduler scheduler) : IResourceEventHandler<V1Pod>
    {
        public void OnAdd(V1Pod obj, bool isInInitialList) => scheduler.OnPod(null, obj);

        public void OnUpdate(V1Pod oldObj, V1Pod newObj) => scheduler.OnPod(oldObj, newObj);

        public void OnDelete(V1Pod obj, bool finalStateUnknown) => scheduler.OnPodDeleted(obj);
    }

    /// <summary>Turns changes of other objects (volumes, storage classes) into cluster events for the queue.</summary>
    private sealed class EventHandler<T>(KubeScheduler scheduler, EventResource resource, Func<T, T, ActionType>? updateAction = null) : IResourceEventHandler<T>
        where T : class, k8s.IKubernetesObject<V1ObjectMeta>
    {
        public void OnAdd(T obj, bool isInInitialList)
        {
            if (!isInInitialList) scheduler.Queue.MoveAllToActiveOrBackoff(new ClusterEvent(resource, ActionType.Add), null, obj);
        }

        public void OnUpdate(T oldObj, T newObj)
        {
            if (oldObj.Metadata?.ResourceVersion == newObj.Metadata?.ResourceVersion) return;
            var action = updateAction?.Invoke(oldObj, newObj) ?? ActionType.UpdateOther;
            if (action != ActionType.None) scheduler.Queue.MoveAllToActiveOrBackoff(new ClusterEvent(resource, action), oldObj, newObj);
        }

        public void OnDelete(T obj, bool finalStateUnknown) => scheduler.Queue.MoveAllToActiveOrBackoff(new ClusterEvent(resource, ActionType.Delete), obj, null);
    }

    private sealed class NodeHandler(KubeScheduler scheduler) : IResourceEventHandler<V1Node>
    {
        public void OnAdd(V1Node obj, bool isInInitialList) => scheduler.OnNode(null, obj);

        public void OnUpdate(V1Node oldObj, V1Node newObj) => scheduler.OnNode(oldObj, newObj);

        public void OnDelete(V1Node obj, bool finalStateUnknown) => scheduler.Cache.RemoveNode(obj.Metadata.Name);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Scheduler started with profiles {Profiles}")]
    private partial void LogStarted(string profiles);

    [LoggerMessage(Level = LogLevel.Information, Message = "Bound pod {Pod} to node {Node}")]
    private partial void LogBound(string pod, string node);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pod {Pod} is unschedulable: {Message}")]
    private partial void LogUnschedulable(string pod, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Binding pod {Pod} to node {Node} failed: {Message}")]
    private partial void LogBindFailed(string pod, string node, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Assumed pod {Pod} on node {Node} expired before the informer confirmed its binding")]
    private partial void LogAssumedPodExpired(string pod, string node);

    [LoggerMessage(Level = LogLevel.Error, Message = "Scheduling pod {Pod} failed")]
    private partial void LogScheduleError(Exception exception, string pod);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The PostFilter work started for pod {Pod} failed")]
    private partial void LogPostFilterFailed(Exception exception, string pod);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped event {Reason}: too many event writes in flight")]
    private partial void LogEventDropped(string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Recording event {Reason} failed")]
    private partial void LogEventFailed(Exception exception, string reason);
}
