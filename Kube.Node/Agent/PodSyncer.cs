using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using Kube.Core.Client;
using Kube.Core.Events;
using Kube.Node.Runtime;
using Microsoft.Extensions.Logging;

namespace Kube.Node.Agent;

/// <summary>
/// Brings one pod's containers in line with its spec and reports its status: sandbox → containers (with restart
/// policy and CrashLoopBackOff) → status. Graceful deletion ends with the pod's removal from the API.
/// Called by the pod workers, one call at a time per pod UID.
/// </summary>
internal sealed class PodSyncer(NodeAgentOptions options, IKubeClient client, IContainerRuntime runtime, TimeProvider time, ILogger logger,
    NodeAgentMetrics? metrics = null, IEventRecorder? events = null)
{
    private const string HostIp = "127.0.0.1";
    private readonly ConcurrentDictionary<(string Uid, string Container), CrashBackoff> _backoffs = new();
    private readonly ConcurrentDictionary<string, (string Message, TimeSpan Grace)> _evictions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _evicted = new(StringComparer.Ordinal);

    /// <summary>The probe manager; null runs no probes (a running container is ready).</summary>
    public Probes.ProbeManager? Probes { get; set; }

    /// <summary>Runs lifecycle hooks (exec, httpGet); null skips them.</summary>
    public Probes.ProbeRunner? Hooks { get; set; }

    /// <summary>Sets up volumes; null mounts none (the simulated runtime).</summary>
    public Kube.Node.Agent.Volumes.VolumeManager? Volumes { get; set; }

    /// <summary>Static pods and their mirror pods; null when the node has none.</summary>
    public StaticPods.StaticPodManager? StaticPods { get; set; }

    /// <summary>Finds a pod of the informer's cache by namespace and name (the mirror pod of a static pod).</summary>
    public Func<string, string, V1Pod?>? PodLookup { get; set; }

    /// <summary>Variables every container gets (KUBERNETES_SERVICE_HOST/PORT when known).</summary>
    public IReadOnlyDictionary<string, string> PodEnvironment { get; set; } = new Dictionary<string, string>();

    public async Task<SyncOutcome> SyncAsync(string uid, V1Pod? pod, CancellationToken cancellationToken)
    {
        if (pod is null)
        {
            // Gone from the API (or no longer bound here): nothing may keep running for it.
            await KillPodAsync(uid, TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
            return SyncOutcome.Done;
        }

        if (pod.Metadata.DeletionTimestamp is not null)
        {
            await TerminateAndDeleteAsync(uid, pod, cancellationToken).ConfigureAwait(false);
            return SyncOutcome.Idle;
        }

        var sandbox = (await runtime.ListPodSandboxesAsync(cancellationToken).ConfigureAwait(false))
            .FirstOrDefault(s => s.PodUid == uid && s.State == PodSandboxState.Ready);
        if (_evictions.TryRemove(uid, out var eviction) && pod.Status?.Phase is not ("Succeeded" or "Failed") && sandbox is not null)
        {
            await EvictAsync(pod, sandbox, eviction.Message, eviction.Grace, cancellationToken).ConfigureAwait(false);
            return SyncOutcome.Idle;
        }

        if (pod.Status?.Phase is "Succeeded" or "Failed" || _evicted.ContainsKey(uid))
        {
            if (sandbox is not null)
            {
                foreach (var c in await runtime.ListContainersAsync(sandbox.Id, cancellationToken).ConfigureAwait(false))
                {
                    if (c.State == ContainerState.Running)
                    {
                        await runtime.StopContainerAsync(c.Id, GracePeriod(pod), cancellationToken).ConfigureAwait(false);
                    }
                }
            }

            return SyncOutcome.Idle;
        }

        if (sandbox is null)
        {
            var id = await runtime.RunPodSandboxAsync(new PodSandboxConfig
            {
                PodUid = uid,
                PodName = pod.Metadata.Name,
                PodNamespace = pod.Metadata.NamespaceProperty ?? "default",
                Environment = PodEnvironment,
            }, cancellationToken).ConfigureAwait(false);
            sandbox = await runtime.PodSandboxStatusAsync(id, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"sandbox {id} vanished");
        }

        IReadOnlyDictionary<string, string> volumes = new Dictionary<string, string>();
        string? volumeError = null;
        if (Volumes is { } volumeManager)
        {
            try
            {
                volumes = await volumeManager.SetUpAsync(pod, sandbox.Ip, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is Kube.Node.Agent.Volumes.VolumeSetupException or IOException or UnauthorizedAccessException)
            {
                volumeError = ex.Message;
                logger.LogWarning("Volumes of pod {Namespace}/{Pod}: {Message}", pod.Metadata.NamespaceProperty, pod.Metadata.Name, ex.Message);
                events?.Record(pod, EventTypes.Warning, "FailedMount", "Mounting", ex.Message);
            }
        }

        var policy = pod.Spec.RestartPolicy ?? "Always";
        var containers = await runtime.ListContainersAsync(sandbox.Id, cancellationToken).ConfigureAwait(false);
        var waiting = new Dictionary<string, string>(StringComparer.Ordinal);
        var configErrors = new Dictionary<string, string>(StringComparer.Ordinal);
        TimeSpan? requeue = null;
        var initDone = volumeError is null;
        if (volumeError is not null)
        {
            // As upstream: containers wait in ContainerCreating until their volumes can be set up.
            requeue = ConfigErrorRetry;
        }

        foreach (var spec in volumeError is null ? EphemeralContainers.Of(pod) : [])
        {
            // Ephemeral containers start once and are never restarted, whatever the pod's policy.
            requeue = Min(requeue, await EnsureContainerAsync(pod, sandbox, spec, containers, "Never", waiting, configErrors, volumes, cancellationToken).ConfigureAwait(false));
        }

        foreach (var spec in volumeError is null ? pod.Spec.InitContainers ?? [] : [])
        {
            // Init containers run one at a time, in order, each to success; they are retried unless the policy is Never.
            if (containers.Where(c => c.Name == spec.Name).MaxBy(c => c.Attempt) is { State: ContainerState.Exited, ExitCode: 0 })
            {
                continue;
            }

            initDone = false;
            requeue = Min(requeue, await EnsureContainerAsync(pod, sandbox, spec, containers, policy == "Never" ? "Never" : "OnFailure", waiting, configErrors, volumes, cancellationToken).ConfigureAwait(false));
            break;
        }

        if (initDone)
        {
            foreach (var spec in pod.Spec.Containers ?? [])
            {
                requeue = Min(requeue, await EnsureContainerAsync(pod, sandbox, spec, containers, policy, waiting, configErrors, volumes, cancellationToken).ConfigureAwait(false));
            }
        }

        containers = await runtime.ListContainersAsync(sandbox.Id, cancellationToken).ConfigureAwait(false);
        var probes = Probes;
        probes?.Sync(pod, sandbox.Ip, (pod.Spec.Containers ?? [])
            .Select(spec => (Spec: spec, Latest: containers.Where(c => c.Name == spec.Name).MaxBy(c => c.Attempt)))
            .Where(x => x.Latest?.State == ContainerState.Running)
            .Select(x => (x.Spec, x.Latest!.Id)));
        var status = BuildStatus(pod, sandbox, containers, waiting, policy, Time.Seconds(time.GetUtcNow()), probes is null ? null : probes.StateOf, configErrors, runtime.RuntimeName);
        if (StaticPods is { } statics && Agent.StaticPods.StaticPodManager.IsStatic(pod))
        {
            // A static pod keeps its status itself; the API sees it on the mirror pod.
            pod.Status = status;
            requeue = Min(requeue, await statics.SyncMirrorAsync(pod, status, PodLookup?.Invoke(pod.Metadata.NamespaceProperty ?? "default", pod.Metadata.Name), cancellationToken).ConfigureAwait(false));
        }
        else if (NodeJson.Serialize(status) != NodeJson.Serialize(pod.Status ?? new V1PodStatus()))
        {
            await WriteStatusAsync(pod, status, cancellationToken).ConfigureAwait(false);
        }

        return new SyncOutcome(false, requeue);
    }

    /// <summary>Starts the container if it never ran, or restarts it per policy and backoff; returns when to look again.</summary>
    private async Task<TimeSpan?> EnsureContainerAsync(V1Pod pod, PodSandboxStatus sandbox, V1Container spec, IReadOnlyList<ContainerStatus> containers,
        string policy, Dictionary<string, string> waiting, Dictionary<string, string> configErrors, IReadOnlyDictionary<string, string> volumes,
        CancellationToken cancellationToken)
    {
        try
        {
            return await EnsureContainerCoreAsync(pod, sandbox, spec, containers, policy, waiting, volumes, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ContainerConfigException or Kube.Node.Agent.Volumes.VolumeSetupException)
        {
            configErrors[spec.Name] = ex.Message;
            events?.Record(pod, EventTypes.Warning, "Failed", "Starting", $"Error: {ex.Message}");
            return ConfigErrorRetry;
        }
    }

    private async Task<TimeSpan?> EnsureContainerCoreAsync(V1Pod pod, PodSandboxStatus sandbox, V1Container spec, IReadOnlyList<ContainerStatus> containers,
        string policy, Dictionary<string, string> waiting, IReadOnlyDictionary<string, string> volumes, CancellationToken cancellationToken)
    {
        var uid = pod.Metadata.Uid;
        var latest = containers.Where(c => c.Name == spec.Name).MaxBy(c => c.Attempt);
        if (latest is null)
        {
            await StartAsync(pod, sandbox, spec, PreviousRestartCount(pod, spec.Name) + 1, volumes, cancellationToken).ConfigureAwait(false);
        }
        else if (latest.State == ContainerState.Created)
        {
            await runtime.StartContainerAsync(latest.Id, cancellationToken).ConfigureAwait(false);
        }
        else if (latest.State == ContainerState.Exited && ShouldRestart(policy, latest.ExitCode))
        {
            var now = time.GetUtcNow();
            var backoff = _backoffs.GetOrAdd((uid, spec.Name), _ => new CrashBackoff(options.BackoffInitial, options.BackoffMax));
            var delay = backoff.DelayAfter(latest.StartedAt, latest.FinishedAt);
            var readyAt = (latest.FinishedAt ?? now) + delay;
            if (now < readyAt)
            {
                waiting[spec.Name] = $"back-off {delay.TotalSeconds:0}s restarting failed container={spec.Name} pod={pod.Metadata.Name}_{pod.Metadata.NamespaceProperty}({uid})";
                if (backoff.ReportBackoff(latest.Id))
                {
                    events?.Record(pod, EventTypes.Warning, "BackOff", "Restarting", $"Back-off restarting failed container {spec.Name} in pod {pod.Metadata.Name}");
                }
                return readyAt - now;
            }

            backoff.RecordRestart();
            await StartAsync(pod, sandbox, spec, latest.Attempt + 1, volumes, cancellationToken).ConfigureAwait(false);
            foreach (var old in containers.Where(c => c.Name == spec.Name && c.Attempt < latest.Attempt))
            {
                await runtime.RemoveContainerAsync(old.Id, cancellationToken).ConfigureAwait(false);
            }
        }

        return null;
    }

    private static long? Limit(V1Container spec, string resource, decimal scale) =>
        spec.Resources?.Limits?.TryGetValue(resource, out var q) == true ? (long)Math.Ceiling(q.ToDecimal() * scale) : null;

    private static readonly TimeSpan ConfigErrorRetry = TimeSpan.FromSeconds(5);

    private static TimeSpan? Min(TimeSpan? a, TimeSpan? b) => a is null ? b : b is null ? a : (a < b ? a : b);

    /// <summary>Asks the pod's next sync to evict it (the eviction manager's decision): kill its containers, then post phase Failed, reason Evicted.</summary>
    public void MarkEvicted(string uid, string message, TimeSpan grace) => _evictions[uid] = (message, grace);

    /// <summary>True while an eviction of the pod is pending.</summary>
    public bool IsBeingEvicted(string uid) => _evictions.ContainsKey(uid);

    private async Task EvictAsync(V1Pod pod, PodSandboxStatus sandbox, string message, TimeSpan grace, CancellationToken cancellationToken)
    {
        Probes?.Forget(pod.Metadata.Uid);
        var running = (await runtime.ListContainersAsync(sandbox.Id, cancellationToken).ConfigureAwait(false)).Where(c => c.State == ContainerState.Running);
        await Task.WhenAll(running.Select(c => runtime.StopContainerAsync(c.Id, grace, cancellationToken))).ConfigureAwait(false);
        var containers = await runtime.ListContainersAsync(sandbox.Id, cancellationToken).ConfigureAwait(false);
        var now = Time.Seconds(time.GetUtcNow());
        var status = BuildStatus(pod, sandbox, containers, new Dictionary<string, string>(), pod.Spec.RestartPolicy ?? "Always", now, scheme: runtime.RuntimeName);
        status.Phase = "Failed";
        status.Reason = "Evicted";
        status.Message = message;
        status.Conditions = status.Conditions.Where(c => c.Type != "DisruptionTarget").Append(new V1PodCondition
        {
            Type = "DisruptionTarget",
            Status = "True",
            Reason = "TerminationByKubelet",
            Message = message,
            LastTransitionTime = now,
        }).ToList();
        // Terminal from now on, even while the pod cache still shows the pod running.
        _evicted[pod.Metadata.Uid] = true;
        await WriteStatusAsync(pod, status, cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Evicted pod {Namespace}/{Pod}", pod.Metadata.NamespaceProperty, pod.Metadata.Name);
    }

    /// <summary>Stops and removes everything the runtime holds for a pod.</summary>
    public async Task KillPodAsync(string uid, TimeSpan gracePeriod, CancellationToken cancellationToken)
    {
        Probes?.Forget(uid);
        foreach (var sandbox in (await runtime.ListPodSandboxesAsync(cancellationToken).ConfigureAwait(false)).Where(s => s.PodUid == uid))
        {
            await runtime.StopPodSandboxAsync(sandbox.Id, gracePeriod, cancellationToken).ConfigureAwait(false);
            Volumes?.TearDown(uid);
            await runtime.RemovePodSandboxAsync(sandbox.Id, cancellationToken).ConfigureAwait(false);
            logger.LogInformation("Removed pod {Namespace}/{Pod} ({Uid}) from the runtime", sandbox.PodNamespace, sandbox.PodName, uid);
        }

        Volumes?.TearDown(uid);
        _evicted.TryRemove(uid, out _);

        foreach (var key in _backoffs.Keys.Where(k => k.Uid == uid))
        {
            _backoffs.TryRemove(key, out _);
        }
    }

    private async Task TerminateAndDeleteAsync(string uid, V1Pod pod, CancellationToken cancellationToken)
    {
        var grace = TimeSpan.FromSeconds(pod.Metadata.DeletionGracePeriodSeconds ?? pod.Spec.TerminationGracePeriodSeconds ?? 30);
        foreach (var c in pod.Spec.Containers ?? [])
        {
            events?.Record(pod, EventTypes.Normal, "Killing", "Killing", $"Stopping container {c.Name}");
        }

        logger.LogInformation("Terminating pod {Namespace}/{Pod} with a grace period of {Grace}", pod.Metadata.NamespaceProperty, pod.Metadata.Name, grace);
        var started = time.GetTimestamp();
        await RunPreStopHooksAsync(uid, pod, grace, cancellationToken).ConfigureAwait(false);
        var left = grace - time.GetElapsedTime(started);
        // As upstream: a preStop hook that used up the grace period still leaves the containers 2 s after SIGTERM.
        await KillPodAsync(uid, left > TimeSpan.FromSeconds(2) ? left : grace > TimeSpan.Zero ? TimeSpan.FromSeconds(2) : TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        try
        {
            await client.DeleteAsync<V1Pod>(pod.Metadata.Name, pod.Metadata.NamespaceProperty,
                new DeleteOptions { GracePeriodSeconds = 0, PreconditionUid = uid }, cancellationToken).ConfigureAwait(false);
        }
        catch (NotFoundException)
        {
        }
        catch (ConflictException)
        {
            // Another pod of that name (another uid) exists by now: ours is gone.
        }
    }

    /// <summary>Runs the preStop hooks of the pod's running containers, in parallel, within the grace period.</summary>
    private async Task RunPreStopHooksAsync(string uid, V1Pod pod, TimeSpan grace, CancellationToken cancellationToken)
    {
        if (Hooks is null || grace <= TimeSpan.Zero || (pod.Spec.Containers ?? []).All(c => c.Lifecycle?.PreStop is null))
        {
            return;
        }

        var sandbox = (await runtime.ListPodSandboxesAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(s => s.PodUid == uid);
        if (sandbox is null)
        {
            return;
        }

        var running = (await runtime.ListContainersAsync(sandbox.Id, cancellationToken).ConfigureAwait(false))
            .Where(c => c.State == ContainerState.Running).ToList();
        var hooks = (pod.Spec.Containers ?? [])
            .Where(spec => spec.Lifecycle?.PreStop is not null)
            .Select(spec => (Spec: spec, Container: running.FirstOrDefault(c => c.Name == spec.Name)))
            .Where(x => x.Container is not null)
            .Select(x => RunHookAsync(pod, x.Spec, x.Container!.Id, sandbox.Ip, x.Spec.Lifecycle.PreStop, grace, "PreStop", cancellationToken));
        await Task.WhenAll(hooks).ConfigureAwait(false);
    }

    /// <summary>Runs one lifecycle hook; returns whether it succeeded (failures are logged and recorded as events).</summary>
    private async Task<bool> RunHookAsync(V1Pod pod, V1Container spec, string containerId, string? podIp, V1LifecycleHandler handler, TimeSpan timeout,
        string kind, CancellationToken cancellationToken)
    {
        if (handler.Sleep is { } sleep)
        {
            var duration = TimeSpan.FromSeconds(Math.Max(0, sleep.Seconds));
            await Task.Delay(duration < timeout ? duration : timeout, time, cancellationToken).ConfigureAwait(false);
            return true;
        }

        var probe = new V1Probe { Exec = handler.Exec, HttpGet = handler.HttpGet, TcpSocket = handler.TcpSocket, TimeoutSeconds = (int)Math.Max(1, timeout.TotalSeconds) };
        var (ok, message) = await Hooks!.RunAsync(probe, spec, containerId, podIp, cancellationToken).ConfigureAwait(false);
        if (!ok)
        {
            logger.LogWarning("{Kind} hook of container {Container} in pod {Namespace}/{Pod} failed: {Message}", kind, spec.Name, pod.Metadata.NamespaceProperty, pod.Metadata.Name, message);
            events?.Record(pod, EventTypes.Warning, $"Failed{kind}Hook", kind, $"{kind} hook for container {spec.Name} failed: {message}");
        }

        return ok;
    }

    private async Task StartAsync(V1Pod pod, PodSandboxStatus sandbox, V1Container spec, int attempt, IReadOnlyDictionary<string, string> volumes,
        CancellationToken cancellationToken)
    {
        var mounts = Volumes is null ? [] : global::Kube.Node.Agent.Volumes.VolumeManager.MountsFor(pod, spec, volumes);
        var env = EnvExpander.Resolve(pod, spec, sandbox.Ip, PodEnvironment, await FetchSourcesAsync(pod, spec, cancellationToken).ConfigureAwait(false));
        var id = await runtime.CreateContainerAsync(sandbox.Id, new ContainerConfig
        {
            Name = spec.Name,
            Image = spec.Image ?? "",
            Command = (spec.Command ?? []).Select(a => EnvExpander.Expand(a, env)).ToList(),
            Args = (spec.Args ?? []).Select(a => EnvExpander.Expand(a, env)).ToList(),
            Environment = env,
            WorkingDir = string.IsNullOrEmpty(spec.WorkingDir) ? null : spec.WorkingDir,
            Attempt = Math.Max(attempt, 0),
            Mounts = mounts,
            MemoryLimitBytes = Limit(spec, "memory", 1m),
            CpuLimitMillicores = Limit(spec, "cpu", 1000m),
            Stdin = spec.Stdin ?? false,
            StdinOnce = spec.StdinOnce ?? false,
            Tty = spec.Tty ?? false,
        }, cancellationToken).ConfigureAwait(false);
        if ((spec.Resources?.Limits?.Count ?? 0) > 0 && runtime is Kube.Node.Runtime.Process.ProcessRuntime { ResourceLimitsUnavailableReason: { } why })
        {
            events?.Record(pod, EventTypes.Warning, "ResourceLimitsNotEnforced", "Starting", $"The limits of container {spec.Name} are not enforced: {why}");
        }
        await runtime.StartContainerAsync(id, cancellationToken).ConfigureAwait(false);
        metrics?.ContainerStarted(restart: attempt > 0);
        var started = await runtime.ContainerStatusAsync(id, cancellationToken).ConfigureAwait(false);
        if (started is { Reason: "StartError" })
        {
            events?.Record(pod, EventTypes.Warning, "Failed", "Starting", $"Error: {started.Message}");
        }
        else
        {
            events?.Record(pod, EventTypes.Normal, "Started", "Started", $"Started container {spec.Name}");
            if (spec.Lifecycle?.PostStart is { } postStart && Hooks is not null
                && !await RunHookAsync(pod, spec, id, sandbox.Ip, postStart, TimeSpan.FromSeconds(30), "PostStart", cancellationToken).ConfigureAwait(false))
            {
                // As upstream: a failed postStart hook kills the container; the restart policy decides what follows.
                await runtime.StopContainerAsync(id, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Reads the ConfigMaps and Secrets the container's env refers to (null for those that do not exist).</summary>
    private async Task<Dictionary<(string Kind, string Name), IReadOnlyDictionary<string, string>?>> FetchSourcesAsync(V1Pod pod, V1Container spec, CancellationToken cancellationToken)
    {
        var result = new Dictionary<(string Kind, string Name), IReadOnlyDictionary<string, string>?>();
        var ns = pod.Metadata.NamespaceProperty;
        foreach (var reference in EnvExpander.References(spec).Distinct())
        {
            try
            {
                result[reference] = reference.Kind == "configmap"
                    ? new Dictionary<string, string>((await client.GetAsync<V1ConfigMap>(reference.Name, ns, cancellationToken).ConfigureAwait(false)).Data ?? new Dictionary<string, string>())
                    : ((await client.GetAsync<V1Secret>(reference.Name, ns, cancellationToken).ConfigureAwait(false)).Data ?? new Dictionary<string, byte[]>())
                        .ToDictionary(kv => kv.Key, kv => System.Text.Encoding.UTF8.GetString(kv.Value));
            }
            catch (NotFoundException)
            {
                result[reference] = null;
            }
        }

        return result;
    }

    private async Task WriteStatusAsync(V1Pod pod, V1PodStatus status, CancellationToken cancellationToken)
    {
        var current = pod;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var copy = Clone(current);
            copy.Status = status;
            try
            {
                await client.UpdateStatusAsync(copy, cancellationToken: cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (NotFoundException)
            {
                return;
            }
            catch (ConflictException)
            {
                current = await client.GetAsync<V1Pod>(pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken).ConfigureAwait(false);
                if (current.Metadata.Uid != pod.Metadata.Uid
                    || (current.Status?.Phase is "Succeeded" or "Failed" && status.Phase is not ("Succeeded" or "Failed")))
                {
                    // Gone, replaced, or terminal already: a pod never leaves a terminal phase (as upstream's status manager).
                    return;
                }
            }
        }

        logger.LogWarning("Gave up writing the status of pod {Namespace}/{Pod} after repeated conflicts", pod.Metadata.NamespaceProperty, pod.Metadata.Name);
    }

    internal static V1PodStatus BuildStatus(V1Pod pod, PodSandboxStatus sandbox, IReadOnlyList<ContainerStatus> containers,
        IReadOnlyDictionary<string, string> waiting, string policy, DateTime now, Func<string, (bool Started, bool Ready)>? probeState = null,
        IReadOnlyDictionary<string, string>? configErrors = null, string scheme = "process")
    {
        var old = pod.Status;
        var status = old is null ? new V1PodStatus() : NodeJson.Clone(old);

        var inits = (pod.Spec.InitContainers ?? []).Select(spec => ContainerStatusOf(spec, containers, waiting, scheme)).ToList();
        var initComplete = inits.All(i => i.Latest is { State: ContainerState.Exited, ExitCode: 0 });
        var initFailed = policy == "Never" && inits.Any(i => i.Latest is { State: ContainerState.Exited, ExitCode: not 0 });
        foreach (var init in inits)
        {
            // An init container that succeeded is "ready" in upstream's sense (done).
            init.Status.Ready = init.Latest is { State: ContainerState.Exited, ExitCode: 0 };
        }

        var mains = (pod.Spec.Containers ?? []).Select(spec => ContainerStatusOf(spec, containers, waiting, scheme)).ToList();
        foreach (var m in mains.Where(m => m.Latest?.State == ContainerState.Running && probeState is not null))
        {
            var (started, ready) = probeState!(m.Latest!.Id);
            m.Status.Started = started;
            m.Status.Ready = ready;
        }

        var ephemerals = EphemeralContainers.Of(pod).Select(spec => ContainerStatusOf(spec, containers, waiting, scheme)).ToList();
        foreach (var e in ephemerals)
        {
            // As upstream: never ready, never restarted.
            e.Status.Ready = false;
            e.Status.RestartCount = 0;
        }

        var anyStarted = mains.Any(m => m.Latest?.StartedAt is not null);
        var allExited = mains.Count > 0 && mains.All(m => m.Latest?.State == ContainerState.Exited && !waiting.ContainsKey(m.Status.Name));
        var allSucceeded = mains.All(m => m.Latest is { State: ContainerState.Exited, ExitCode: 0 });

        string phase;
        if (initFailed)
        {
            phase = "Failed";
        }
        else if (!initComplete)
        {
            phase = "Pending";
        }
        else if (allExited && (allSucceeded || policy == "Never"))
        {
            phase = allSucceeded ? "Succeeded" : "Failed";
        }
        else
        {
            phase = anyStarted ? "Running" : "Pending";
        }

        if (!initComplete)
        {
            foreach (var m in mains.Where(m => m.Latest is null))
            {
                m.Status.State.Waiting.Reason = "PodInitializing";
            }
        }

        foreach (var c in inits.Concat(mains).Concat(ephemerals))
        {
            if (configErrors?.TryGetValue(c.Status.Name, out var error) == true && c.Latest?.State != ContainerState.Running)
            {
                c.Status.State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "CreateContainerConfigError", Message = error } };
            }
        }

        var statuses = mains.Select(m => m.Status).ToList();
        var allReady = statuses.Count > 0 && statuses.All(s => s.Ready);
        var unready = string.Join(' ', statuses.Where(s => !s.Ready).Select(s => s.Name));
        var incomplete = string.Join(' ', inits.Where(i => !i.Status.Ready).Select(i => i.Status.Name));
        var terminal = phase is "Succeeded" or "Failed";
        status.Phase = phase;
        status.HostIP = HostIp;
        status.HostIPs = [new V1HostIP { Ip = HostIp }];
        status.PodIP = sandbox.Ip;
        status.PodIPs = sandbox.Ip is null ? null : [new V1PodIP { Ip = sandbox.Ip }];
        status.StartTime ??= Time.Seconds(sandbox.CreatedAt);
        status.InitContainerStatuses = inits.Count == 0 ? null : inits.Select(i => i.Status).ToList();
        status.ContainerStatuses = statuses;
        status.EphemeralContainerStatuses = ephemerals.Count == 0 ? null : ephemerals.Select(e => e.Status).ToList();
        status.QosClass ??= "BestEffort";
        status.Conditions =
        [
            Condition(old, "PodReadyToStartContainers", "True", null, null, now),
            initComplete
                ? Condition(old, "Initialized", "True", null, null, now)
                : Condition(old, "Initialized", "False", "ContainersNotInitialized", $"containers with incomplete status: [{incomplete}]", now),
            allReady
                ? Condition(old, "Ready", "True", null, null, now)
                : Condition(old, "Ready", "False", terminal ? "PodCompleted" : "ContainersNotReady", terminal ? null : $"containers with unready status: [{unready}]", now),
            allReady
                ? Condition(old, "ContainersReady", "True", null, null, now)
                : Condition(old, "ContainersReady", "False", terminal ? "PodCompleted" : "ContainersNotReady", terminal ? null : $"containers with unready status: [{unready}]", now),
            Condition(old, "PodScheduled", "True", null, null, now),
        ];
        foreach (var other in old?.Conditions ?? [])
        {
            // Conditions others own (DisruptionTarget, readiness gates) stay.
            if (status.Conditions.All(c => c.Type != other.Type))
            {
                status.Conditions.Add(other);
            }
        }

        return status;
    }

    private static (V1ContainerStatus Status, ContainerStatus? Latest) ContainerStatusOf(V1Container spec, IReadOnlyList<ContainerStatus> containers, IReadOnlyDictionary<string, string> waiting, string scheme)
    {
        var mine = containers.Where(c => c.Name == spec.Name).OrderBy(c => c.Attempt).ToList();
        var latest = mine.LastOrDefault();
        var previous = mine.Count > 1 ? mine[^2] : null;
        var cs = new V1ContainerStatus
        {
            Name = spec.Name,
            Image = spec.Image ?? "",
            ImageID = spec.Image ?? "",
            ContainerID = latest is null ? null : $"{scheme}://{latest.Id}",
            RestartCount = latest?.Attempt ?? 0,
            Started = latest?.State == ContainerState.Running,
            Ready = latest?.State == ContainerState.Running,
            State = new V1ContainerState(),
        };
        if (latest is null || latest.State is ContainerState.Created or ContainerState.Unknown)
        {
            cs.State.Waiting = new V1ContainerStateWaiting { Reason = "ContainerCreating" };
        }
        else if (waiting.TryGetValue(spec.Name, out var message))
        {
            cs.State.Waiting = new V1ContainerStateWaiting { Reason = "CrashLoopBackOff", Message = message };
            previous = latest;
        }
        else if (latest.State == ContainerState.Running)
        {
            cs.State.Running = new V1ContainerStateRunning { StartedAt = Time.Seconds(latest.StartedAt) };
        }
        else
        {
            cs.State.Terminated = Terminated(latest, scheme);
        }

        if (previous is { State: ContainerState.Exited })
        {
            cs.LastState = new V1ContainerState { Terminated = Terminated(previous, scheme) };
        }

        return (cs, latest);
    }

    private static V1ContainerStateTerminated Terminated(ContainerStatus c, string scheme)
    {
        var code = c.ExitCode ?? 137;
        return new V1ContainerStateTerminated
        {
            ExitCode = code,
            Reason = c.Reason ?? (code == 0 ? "Completed" : "Error"),
            Message = c.Message,
            StartedAt = Time.Seconds(c.StartedAt),
            FinishedAt = Time.Seconds(c.FinishedAt),
            ContainerID = $"{scheme}://{c.Id}",
        };
    }

    private static V1PodCondition Condition(V1PodStatus? old, string type, string status, string? reason, string? message, DateTime now)
    {
        var previous = old?.Conditions?.FirstOrDefault(c => c.Type == type);
        return new V1PodCondition
        {
            Type = type,
            Status = status,
            Reason = reason,
            Message = message,
            LastProbeTime = null,
            LastTransitionTime = previous is not null && previous.Status == status && previous.LastTransitionTime is { } t ? t : now,
        };
    }

    private static bool ShouldRestart(string policy, int? exitCode) => policy switch
    {
        "Never" => false,
        "OnFailure" => exitCode != 0,
        _ => true,
    };

    private static int PreviousRestartCount(V1Pod pod, string container) =>
        pod.Status?.ContainerStatuses?.FirstOrDefault(c => c.Name == container && !string.IsNullOrEmpty(c.ContainerID))?.RestartCount ?? -1;

    private static TimeSpan GracePeriod(V1Pod pod) => TimeSpan.FromSeconds(pod.Spec.TerminationGracePeriodSeconds ?? 30);

    private static V1Pod Clone(V1Pod pod) => NodeJson.Clone(pod);
}
