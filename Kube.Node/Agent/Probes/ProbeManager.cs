using System.Collections.Concurrent;
using k8s.Models;
using Kube.Core.Events;
using Microsoft.Extensions.Logging;

namespace Kube.Node.Agent.Probes;

/// <summary>
/// Runs the startup, readiness and liveness probes of running containers (upstream's defaults: no initial delay,
/// period 10 s, timeout 1 s, success threshold 1, failure threshold 3). Readiness and liveness wait for the startup
/// probe to pass. A change of result wakes the pod's worker; a failed liveness (or startup) probe kills the container,
/// which the restart policy then handles.
/// </summary>
internal sealed class ProbeManager(ProbeRunner runner, TimeProvider time, ILogger logger, Action<string> podChanged,
    Func<string, TimeSpan, Task> killContainer, IEventRecorder? events, CancellationToken stopping)
{
    private readonly ConcurrentDictionary<string, ContainerProbes> _containers = new(StringComparer.Ordinal);
    private readonly ProbeRunner _runner = runner;
    private readonly TimeProvider _time = time;
    private readonly ILogger _logger = logger;
    private readonly Action<string> _podChanged = podChanged;
    private readonly Func<string, TimeSpan, Task> _killContainer = killContainer;
    private readonly IEventRecorder? _events = events;
    private readonly CancellationToken _stopping = stopping;

    /// <summary>Whether the container counts as started and ready. Without probes a running container is both.</summary>
    public (bool Started, bool Ready) StateOf(string containerId) =>
        _containers.TryGetValue(containerId, out var p) ? (p.Started, p.Started && p.Ready) : (true, true);

    /// <summary>Starts probing newly running containers of a pod and stops probing those that are no longer running.</summary>
    public void Sync(V1Pod pod, string? podIp, IEnumerable<(V1Container Spec, string ContainerId)> running)
    {
        var uid = pod.Metadata.Uid;
        var live = running.ToList();
        var ids = live.Select(r => r.ContainerId).ToHashSet(StringComparer.Ordinal);
        foreach (var (id, probes) in _containers)
        {
            if (probes.PodUid == uid && !ids.Contains(id) && _containers.TryRemove(id, out _))
            {
                probes.Stop();
            }
        }

        foreach (var (spec, id) in live)
        {
            if ((spec.StartupProbe ?? spec.ReadinessProbe ?? spec.LivenessProbe) is null || _containers.ContainsKey(id))
            {
                continue;
            }

            var probes = new ContainerProbes(uid, spec, id, podIp, pod, this);
            if (_containers.TryAdd(id, probes))
            {
                probes.Start();
            }
        }
    }

    /// <summary>Stops probing every container of a pod.</summary>
    public void Forget(string podUid)
    {
        foreach (var (id, probes) in _containers)
        {
            if (probes.PodUid == podUid && _containers.TryRemove(id, out _))
            {
                probes.Stop();
            }
        }
    }

    private sealed class ContainerProbes(string podUid, V1Container spec, string containerId, string? podIp, V1Pod pod, ProbeManager owner)
    {
        private readonly CancellationTokenSource _cts = CancellationTokenSource.CreateLinkedTokenSource(owner._stopping);
        private volatile bool _started = spec.StartupProbe is null;
        private volatile bool _ready = spec.ReadinessProbe is null;

        public string PodUid => podUid;

        public bool Started => _started;

        public bool Ready => _ready;

        public void Start()
        {
            _ = Task.Run(() => RunAsync(_cts.Token), CancellationToken.None);
        }

        public void Stop()
        {
            _cts.Cancel();
        }

        private async Task RunAsync(CancellationToken token)
        {
            try
            {
                if (spec.StartupProbe is { } startup)
                {
                    if (!await LoopAsync(ProbeKind.Startup, startup, token).ConfigureAwait(false))
                    {
                        return;
                    }
                }

                var loops = new List<Task>();
                if (spec.ReadinessProbe is { } readiness)
                {
                    loops.Add(LoopAsync(ProbeKind.Readiness, readiness, token));
                }

                if (spec.LivenessProbe is { } liveness)
                {
                    loops.Add(LoopAsync(ProbeKind.Liveness, liveness, token));
                }

                await Task.WhenAll(loops).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                _cts.Dispose();
            }
        }

        /// <summary>Probes until cancelled; for startup, returns true once it passed (false when it failed and the container was killed).</summary>
        private async Task<bool> LoopAsync(ProbeKind kind, V1Probe probe, CancellationToken token)
        {
            var period = TimeSpan.FromSeconds(Math.Max(1, probe.PeriodSeconds ?? 10));
            var successThreshold = Math.Max(1, probe.SuccessThreshold ?? 1);
            var failureThreshold = Math.Max(1, probe.FailureThreshold ?? 3);
            var successes = 0;
            var failures = 0;
            if (probe.InitialDelaySeconds is > 0 and var delay)
            {
                await Task.Delay(TimeSpan.FromSeconds(delay), owner._time, token).ConfigureAwait(false);
            }

            while (!token.IsCancellationRequested)
            {
                var (ok, message) = await owner._runner.RunAsync(probe, spec, containerId, podIp, token).ConfigureAwait(false);
                if (ok)
                {
                    failures = 0;
                    if (++successes >= successThreshold)
                    {
                        if (kind == ProbeKind.Startup)
                        {
                            _started = true;
                            owner._podChanged(podUid);
                            return true;
                        }

                        if (kind == ProbeKind.Readiness && !_ready)
                        {
                            _ready = true;
                            owner._podChanged(podUid);
                        }
                    }
                }
                else
                {
                    successes = 0;
                    failures++;
                    owner._events?.Record(pod, EventTypes.Warning, "Unhealthy", "Probe", $"{kind} probe failed: {message}");
                    if (failures >= failureThreshold)
                    {
                        if (kind == ProbeKind.Readiness)
                        {
                            if (_ready)
                            {
                                _ready = false;
                                owner._podChanged(podUid);
                            }
                        }
                        else
                        {
                            owner._logger.LogInformation("Container {Container} of pod {Namespace}/{Pod} failed its {Kind} probe; killing it",
                                spec.Name, pod.Metadata.NamespaceProperty, pod.Metadata.Name, kind);
                            owner._events?.Record(pod, EventTypes.Normal, "Killing", "Killing", $"Container {spec.Name} failed {kind.ToString().ToLowerInvariant()} probe, will be restarted");
                            await owner._killContainer(containerId, TimeSpan.FromSeconds(pod.Spec.TerminationGracePeriodSeconds ?? 30)).ConfigureAwait(false);
                            owner._podChanged(podUid);
                            return false;
                        }
                    }
                }

                await Task.Delay(period, owner._time, token).ConfigureAwait(false);
            }

            return false;
        }
    }
}
