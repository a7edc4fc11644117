using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using k8s.Models;
using Kube.Core.Client;
using Kube.Core.Informers;
using Kube.Node.Runtime;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kube.Node.Agent;

/// <summary>
/// The node agent (the kubelet's role) for one node: registers the Node, renews its Lease, posts node status, and
/// runs the pods bound to it through an <see cref="IContainerRuntime"/>. It talks to the cluster only through
/// <see cref="IKubeClient"/> and a pod informer with the field selector <c>spec.nodeName=&lt;node&gt;</c>.
/// When it stops (host shutdown) it stops every pod process and leaves the API objects; when it starts over the same
/// data directory it reconciles: leftovers of pods no longer bound here are removed, the rest run again.
/// </summary>
public sealed class NodeAgent : IHostedService, IAsyncDisposable
{
    public const string LeaseNamespace = "kube-node-lease";

    private readonly NodeAgentOptions _options;
    private readonly IKubeClient _client;
    private readonly ISharedInformerFactory _informers;
    private readonly IContainerRuntime _runtime;
    private readonly TimeProvider _time;
    private readonly ILogger<NodeAgent> _logger;
    private readonly NodeStatusBuilder _nodeBuilder;
    private readonly PodSyncer _syncer;
    private readonly Stats.SummaryProvider _summary;
    private readonly StaticPods.StaticPodManager? _static;
    private readonly Eviction.EvictionManager? _eviction;
    private readonly Logs.ContainerLogRotator? _logRotator;
    private readonly NodeAgentMetrics _metrics;
    private readonly HttpClient _probeHttp;
    private readonly Kube.Core.Events.IEventRecorder? _events;
    private readonly ConcurrentDictionary<string, string> _podKeys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _fingerprints = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _registered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? _stopping;
    private PodWorkers? _workers;
    private IInformer<V1Pod>? _podInformer;
    private IDisposable? _handlerRegistration;
    private Task? _main;
    private Server.KubeletServer? _server;
    private bool _runtimeReady;
    private int _disposed;

    public NodeAgent(NodeAgentOptions options, IKubeClient client, ISharedInformerFactory informers, IContainerRuntime runtime, TimeProvider timeProvider,
        ILoggerFactory loggerFactory, IMeterFactory? meterFactory = null, Kube.Core.Events.IEventRecorder? events = null,
        IServiceAccountTokenRequester? tokenRequester = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        options.Validate();
        _options = options;
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _informers = informers ?? throw new ArgumentNullException(nameof(informers));
        _runtime = runtime ?? throw new ArgumentNullException(nameof(runtime));
        _time = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
        _logger = loggerFactory.CreateLogger<NodeAgent>();
        _nodeBuilder = new NodeStatusBuilder(options, runtime.RuntimeName, runtime.RuntimeVersion);
        _metrics = new NodeAgentMetrics(options.NodeName, meterFactory);
        _events = events;
        _syncer = new PodSyncer(options, client, runtime, timeProvider, _logger, _metrics, events);
        _summary = new Stats.SummaryProvider(options.NodeName, options.EffectiveDataDir, runtime, timeProvider);
        if (runtime is Kube.Node.Runtime.Process.ProcessRuntime)
        {
            _logRotator = new Logs.ContainerLogRotator(runtime, options.ContainerLogMaxSize, options.ContainerLogMaxFiles, timeProvider, _logger);
        }

        var thresholds = options.EvictionThresholds();
        if (thresholds.Count > 0 && runtime is not Kube.Node.Runtime.Simulated.SimulatedRuntime)
        {
            _eviction = new Eviction.EvictionManager(new Eviction.EvictionDecider(thresholds, options.EvictionPressureTransitionPeriod), _summary, runtime,
                EvictablePods, (pod, message, grace) =>
                {
                    _syncer.MarkEvicted(pod.Metadata.Uid, message, grace);
                    _workers?.Update(pod.Metadata.Uid);
                    return Task.CompletedTask;
                }, options.EvictionMaxPodGracePeriodSeconds, timeProvider, _logger, events);
            _nodeBuilder.Pressure = () => _eviction.Pressure;
        }

        if (options.StaticPodPath is { } staticPodPath)
        {
            _static = new StaticPods.StaticPodManager(staticPodPath, options.NodeName, client, timeProvider, _logger);
            _syncer.StaticPods = _static;
            _syncer.PodLookup = (ns, name) => _podInformer?.Cache.Get($"{ns}/{name}");
        }
        if (runtime is not Kube.Node.Runtime.Simulated.SimulatedRuntime)
        {
            _syncer.Volumes = new Volumes.VolumeManager(client, Path.Combine(options.EffectiveDataDir, "volumes"), timeProvider, _logger)
            {
                Tokens = tokenRequester is null ? null : new Volumes.ServiceAccountTokenManager(tokenRequester, timeProvider, _logger),
            };
        }
        _probeHttp = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            // Upstream's HTTPS probes do not verify certificates either.
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        });
    }

    public string NodeName => _options.NodeName;

    public IContainerRuntime Runtime => _runtime;

    /// <summary>The kubelet server's port once started (null when <see cref="NodeAgentOptions.KubeletPort"/> is null).</summary>
    public int? KubeletPort => _server?.Port;

    /// <summary>
    /// The node's and its pods' CPU, memory and filesystem figures now, as upstream's Summary API (stats/v1alpha1) has them;
    /// the kubelet server serves the same at <c>GET /stats/summary</c>.
    /// </summary>
    public Task<Stats.Summary> GetSummaryAsync(CancellationToken cancellationToken = default) => _summary.GetAsync(cancellationToken);

    /// <summary>Completes once the Node object has been registered.</summary>
    public Task Registered => _registered.Task;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _runtime.InitializeAsync(cancellationToken).ConfigureAwait(false);
        _runtimeReady = true;
        if (_options.KubeletPort is int kubeletPort)
        {
            _server = new Server.KubeletServer(new Server.KubeletServerOptions { Address = _options.KubeletAddress, Port = kubeletPort, Tls = _options.KubeletTls }, _runtime, _time, _logger)
            {
                SummaryProvider = async ct => (await _summary.GetAsync(ct).ConfigureAwait(false)).ToJson(),
            };
            _server.Start();
            _nodeBuilder.KubeletPort = _server.Port;
        }

        _stopping = new CancellationTokenSource();
        var token = _stopping.Token;
        _workers = new PodWorkers(SyncPodAsync, _time, _logger, token);
        _syncer.Hooks = new Probes.ProbeRunner(_runtime, _probeHttp);
        _syncer.Probes = new Probes.ProbeManager(_syncer.Hooks, _time, _logger, uid => _workers.Update(uid),
            (id, grace) => _runtime.StopContainerAsync(id, grace, CancellationToken.None), _events, token);
        _podInformer = _informers.GetInformer<V1Pod>(fieldSelector: "spec.nodeName=" + _options.NodeName);
        _handlerRegistration = _podInformer.AddEventHandler(new PodEventHandler(this));
        _informers.Start(token);
        if (_static is not null)
        {
            // Static pods start at once, whether or not the API server answers.
            ReloadStaticPods();
        }

        _main = Task.Run(() => RunAsync(token), CancellationToken.None);
        _logger.LogInformation("Node agent {Node} started (runtime {Runtime}, pod CIDR {PodCidr}, data {DataDir})",
            _options.NodeName, _runtime.RuntimeName, _options.EffectivePodCidr, _options.EffectiveDataDir);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stopping is null)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _handlerRegistration?.Dispose();
        try
        {
            if (_main is not null)
            {
                await _main.WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            if (_workers is not null)
            {
                await _workers.WhenStoppedAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }

        await StopAllContainersAsync(cancellationToken).ConfigureAwait(false);
        _logger.LogInformation("Node agent {Node} stopped", _options.NodeName);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stopping?.Cancel();
        _stopping?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }

        _metrics.Dispose();
        _probeHttp.Dispose();
        _stopping = null;
        if (_runtime is IAsyncDisposable d)
        {
            await d.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Host shutdown: SIGTERM every pod process, SIGKILL after min(pod grace, ShutdownGracePeriod). Sandboxes (IPs) stay for the restart.</summary>
    private async Task StopAllContainersAsync(CancellationToken cancellationToken)
    {
        if (!_runtimeReady)
        {
            return;
        }

        var running = (await _runtime.ListContainersAsync(null, CancellationToken.None).ConfigureAwait(false))
            .Where(c => c.State == ContainerState.Running).ToList();
        if (running.Count == 0)
        {
            return;
        }

        _logger.LogInformation("Stopping {Count} containers of node {Node}", running.Count, _options.NodeName);
        var sandboxes = (await _runtime.ListPodSandboxesAsync(CancellationToken.None).ConfigureAwait(false)).ToDictionary(s => s.Id);
        await Task.WhenAll(running.Select(c =>
        {
            var grace = _options.ShutdownGracePeriod;
            if (sandboxes.TryGetValue(c.SandboxId, out var sb) && _podKeys.TryGetValue(sb.PodUid, out var key)
                && _podInformer?.Cache.Get(key)?.Spec?.TerminationGracePeriodSeconds is long seconds && TimeSpan.FromSeconds(seconds) < grace)
            {
                grace = TimeSpan.FromSeconds(seconds);
            }

            // Not the host's token: leaving processes behind is worse than a late stop.
            return _runtime.StopContainerAsync(c.Id, grace, CancellationToken.None);
        })).ConfigureAwait(false);
    }

    private async Task RunAsync(CancellationToken token)
    {
        var staticLoop = _static is null ? Task.CompletedTask : LoopAsync("static pods", _options.FileCheckFrequency, SyncStaticPodsAsync, token);
        try
        {
            await RunWithApiAsync(token).ConfigureAwait(false);
        }
        finally
        {
            await staticLoop.ConfigureAwait(false);
        }
    }

    private async Task SynchronizeEvictionAsync(CancellationToken token)
    {
        var before = _eviction!.Pressure;
        await _eviction.SynchronizeAsync(token).ConfigureAwait(false);
        if (!before.SetEquals(_eviction.Pressure))
        {
            await UpdateNodeStatusAsync(token).ConfigureAwait(false);
        }
    }

    /// <summary>The pods the eviction manager may pick from: bound here, running or pending, not being deleted or evicted already.</summary>
    private List<V1Pod> EvictablePods() =>
        (_podInformer?.Cache.List() ?? [])
            .Where(p => p.Spec?.NodeName == _options.NodeName && p.Metadata.DeletionTimestamp is null && p.Status?.Phase is not ("Succeeded" or "Failed")
                && !_syncer.IsBeingEvicted(p.Metadata.Uid))
            .ToList();

    private void ReloadStaticPods()
    {
        foreach (var uid in _static!.Reload())
        {
            _workers!.Update(uid);
        }
    }

    /// <summary>Re-reads the static pod directory and, once the pod cache has synced, deletes orphaned mirror pods and re-creates missing ones.</summary>
    private async Task SyncStaticPodsAsync(CancellationToken token)
    {
        ReloadStaticPods();
        if (_podInformer?.HasSynced != true)
        {
            return;
        }

        var mirrors = _podInformer.Cache.List().Where(StaticPods.StaticPodManager.IsMirror).ToList();
        foreach (var mirror in mirrors)
        {
            await _static!.DeleteIfOrphanedAsync(mirror, token).ConfigureAwait(false);
        }

        foreach (var uid in _static!.Uids)
        {
            if (!mirrors.Any(m => StaticPods.StaticPodManager.MirrorHashOf(m) == uid))
            {
                _workers!.Update(uid);
            }
        }
    }

    private async Task RunWithApiAsync(CancellationToken token)
    {
        try
        {
            await RegisterAsync(token).ConfigureAwait(false);
            await _podInformer!.WaitForSyncAsync(token).ConfigureAwait(false);
            await RemoveOrphansAsync(token).ConfigureAwait(false);
            await Task.WhenAll(
                LoopAsync("node status", _options.NodeStatusUpdateInterval, async t =>
                {
                    await UpdateNodeStatusAsync(t).ConfigureAwait(false);
                    await ResolveKubernetesServiceAsync(t).ConfigureAwait(false);
                }, token),
                LoopAsync("lease", _options.LeaseRenewInterval, RenewLeaseAsync, token),
                LoopAsync("relist", _options.RelistInterval, RelistAsync, token),
                LoopAsync("resync", _options.ResyncInterval, ResyncAsync, token),
                _eviction is null ? Task.CompletedTask : LoopAsync("eviction", _options.EvictionMonitoringInterval, SynchronizeEvictionAsync, token),
                _logRotator is null ? Task.CompletedTask : LoopAsync("log rotation", _options.ContainerLogMonitorInterval, _logRotator.RotateAsync, token)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
    }

    private async Task LoopAsync(string name, TimeSpan interval, Func<CancellationToken, Task> body, CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, _time, token).ConfigureAwait(false);
                await body(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                _logger.LogWarning(ex, "Node {Node}: {Loop} failed", _options.NodeName, name);
            }
        }
    }

    /// <summary>Creates or updates the Node, its status, the lease namespace and Lease; retries until it succeeds.</summary>
    private async Task RegisterAsync(CancellationToken token)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            try
            {
                V1Node node;
                try
                {
                    node = await _client.CreateAsync(_nodeBuilder.NewNode(), cancellationToken: token).ConfigureAwait(false);
                    _logger.LogInformation("Registered node {Node}", _options.NodeName);
                }
                catch (AlreadyExistsException)
                {
                    node = await _client.GetAsync<V1Node>(_options.NodeName, cancellationToken: token).ConfigureAwait(false);
                    if (_nodeBuilder.ApplyMetadataAndSpec(node))
                    {
                        node = await _client.UpdateAsync(node, cancellationToken: token).ConfigureAwait(false);
                    }

                    _logger.LogInformation("Node {Node} was already registered; updated it", _options.NodeName);
                }

                await UpdateNodeStatusAsync(token).ConfigureAwait(false);
                await ResolveKubernetesServiceAsync(token).ConfigureAwait(false);
                await EnsureLeaseNamespaceAsync(token).ConfigureAwait(false);
                await RenewLeaseAsync(token).ConfigureAwait(false);
                _registered.TrySetResult();
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _logger.LogWarning("Registering node {Node} failed ({Message}); retrying in {Delay}", _options.NodeName, ex.Message, delay);
                await Task.Delay(delay, _time, token).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    private async Task UpdateNodeStatusAsync(CancellationToken token)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var node = await _client.GetAsync<V1Node>(_options.NodeName, cancellationToken: token).ConfigureAwait(false);
            if (_eviction is not null && _nodeBuilder.ApplyMetadataAndSpec(node))
            {
                // Pressure taints changed.
                node = await _client.UpdateAsync(node, cancellationToken: token).ConfigureAwait(false);
            }

            node.Status = _nodeBuilder.BuildStatus(node.Status, Time.Seconds(_time.GetUtcNow()));
            try
            {
                await _client.UpdateStatusAsync(node, cancellationToken: token).ConfigureAwait(false);
                return;
            }
            catch (ConflictException)
            {
            }
        }
    }

    private async Task EnsureLeaseNamespaceAsync(CancellationToken token)
    {
        try
        {
            await _client.CreateAsync(new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new V1ObjectMeta { Name = LeaseNamespace } }, cancellationToken: token).ConfigureAwait(false);
        }
        catch (AlreadyExistsException)
        {
        }
        catch (ForbiddenException)
        {
            // A node identity may not create namespaces on a secured server (upstream's kubelet never does); the API server creates kube-node-lease.
        }
    }

    private async Task RenewLeaseAsync(CancellationToken token)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        try
        {
            var lease = await _client.GetAsync<V1Lease>(_options.NodeName, LeaseNamespace, token).ConfigureAwait(false);
            lease.Spec ??= new V1LeaseSpec();
            lease.Spec.HolderIdentity = _options.NodeName;
            lease.Spec.LeaseDurationSeconds = _options.LeaseDurationSeconds;
            lease.Spec.RenewTime = now;
            await _client.UpdateAsync(lease, cancellationToken: token).ConfigureAwait(false);
        }
        catch (NotFoundException)
        {
            V1Node? node = null;
            try
            {
                node = await _client.GetAsync<V1Node>(_options.NodeName, cancellationToken: token).ConfigureAwait(false);
            }
            catch (NotFoundException)
            {
            }

            await _client.CreateAsync(new V1Lease
            {
                ApiVersion = "coordination.k8s.io/v1",
                Kind = "Lease",
                Metadata = new V1ObjectMeta
                {
                    Name = _options.NodeName,
                    NamespaceProperty = LeaseNamespace,
                    OwnerReferences = node is null ? null :
                    [
                        new V1OwnerReference { ApiVersion = "v1", Kind = "Node", Name = node.Metadata.Name, Uid = node.Metadata.Uid },
                    ],
                },
                Spec = new V1LeaseSpec
                {
                    HolderIdentity = _options.NodeName,
                    LeaseDurationSeconds = _options.LeaseDurationSeconds,
                    AcquireTime = now,
                    RenewTime = now,
                },
            }, cancellationToken: token).ConfigureAwait(false);
        }
    }

    private async Task ResolveKubernetesServiceAsync(CancellationToken token)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        var host = _options.KubernetesServiceHost;
        var port = _options.KubernetesServicePort;
        if (host is null || port is null)
        {
            try
            {
                var svc = await _client.GetAsync<V1Service>("kubernetes", "default", token).ConfigureAwait(false);
                host ??= svc.Spec?.ClusterIP;
                port ??= svc.Spec?.Ports?.FirstOrDefault()?.Port;
            }
            catch (KubeApiException)
            {
            }
        }

        if (!string.IsNullOrEmpty(host) && host != "None" && port is int p)
        {
            var portText = p.ToString(CultureInfo.InvariantCulture);
            env["KUBERNETES_SERVICE_HOST"] = host;
            env["KUBERNETES_SERVICE_PORT"] = portText;
            env["KUBERNETES_SERVICE_PORT_HTTPS"] = portText;
            env["KUBERNETES_PORT"] = $"tcp://{host}:{portText}";
        }

        _syncer.PodEnvironment = env;
    }

    /// <summary>Removes from the runtime the pods that are not bound to this node any more (found after a restart).</summary>
    private async Task RemoveOrphansAsync(CancellationToken token)
    {
        var bound = _podInformer!.Cache.List().Select(p => p.Metadata.Uid).Concat(_static?.Uids ?? []).ToHashSet(StringComparer.Ordinal);
        var active = _workers!.Uids.ToHashSet(StringComparer.Ordinal);
        foreach (var sandbox in await _runtime.ListPodSandboxesAsync(token).ConfigureAwait(false))
        {
            if (!bound.Contains(sandbox.PodUid) && !active.Contains(sandbox.PodUid))
            {
                _logger.LogInformation("Pod {Namespace}/{Pod} ({Uid}) is no longer bound to {Node}; killing its leftovers", sandbox.PodNamespace, sandbox.PodName, sandbox.PodUid, _options.NodeName);
                await _syncer.KillPodAsync(sandbox.PodUid, TimeSpan.Zero, token).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The PLEG relist: wakes the workers of pods whose containers changed state (a process died).</summary>
    private async Task RelistAsync(CancellationToken token)
    {
        var sandboxes = (await _runtime.ListPodSandboxesAsync(token).ConfigureAwait(false)).ToDictionary(s => s.Id);
        var containers = await _runtime.ListContainersAsync(null, token).ConfigureAwait(false);
        var current = containers
            .GroupBy(c => sandboxes.TryGetValue(c.SandboxId, out var s) ? s.PodUid : "")
            .Where(g => g.Key.Length > 0)
            .ToDictionary(g => g.Key, g => string.Join(';', g.OrderBy(c => c.Id, StringComparer.Ordinal).Select(c => $"{c.Id}:{c.State}:{c.ExitCode}")));
        foreach (var (uid, fingerprint) in current)
        {
            if (!_fingerprints.TryGetValue(uid, out var old) || old != fingerprint)
            {
                _fingerprints[uid] = fingerprint;
                _workers!.Update(uid);
            }
        }

        foreach (var uid in _fingerprints.Keys.Where(u => !current.ContainsKey(u)).ToList())
        {
            _fingerprints.Remove(uid);
        }

        await RemoveOrphansAsync(token).ConfigureAwait(false);
    }

    private Task ResyncAsync(CancellationToken token)
    {
        foreach (var pod in _podInformer!.Cache.List().Where(p => !StaticPods.StaticPodManager.IsMirror(p)))
        {
            _workers!.Update(pod.Metadata.Uid);
        }

        foreach (var uid in _static?.Uids ?? [])
        {
            _workers!.Update(uid);
        }

        return Task.CompletedTask;
    }

    private Task<SyncOutcome> SyncPodAsync(string uid, CancellationToken token)
    {
        if (_static?.Get(uid) is { } staticPod)
        {
            return TimedSyncAsync(uid, staticPod, token);
        }

        V1Pod? pod = null;
        if (_podKeys.TryGetValue(uid, out var key))
        {
            pod = _podInformer!.Cache.Get(key);
            if (pod is not null && (pod.Metadata.Uid != uid || pod.Spec?.NodeName != _options.NodeName))
            {
                pod = null;
            }
        }

        if (pod is null)
        {
            _podKeys.TryRemove(uid, out _);
        }

        return TimedSyncAsync(uid, pod, token);
    }

    private async Task<SyncOutcome> TimedSyncAsync(string uid, V1Pod? pod, CancellationToken token)
    {
        var started = _time.GetTimestamp();
        try
        {
            return await _syncer.SyncAsync(uid, pod, token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _metrics.SyncFailed();
            throw;
        }
        finally
        {
            _metrics.SyncDone(_time.GetElapsedTime(started));
        }
    }

    private void OnPod(V1Pod pod)
    {
        var uid = pod.Metadata?.Uid;
        if (string.IsNullOrEmpty(uid))
        {
            return;
        }

        if (StaticPods.StaticPodManager.IsMirror(pod))
        {
            // A mirror pod never runs: it stands for a static pod, whose worker keeps it (re-creating it when deleted).
            WakeStaticPodOf(pod);
            return;
        }

        _podKeys[uid] = Indexers.KeyOf(pod);
        _workers?.Update(uid);
    }

    private void WakeStaticPodOf(V1Pod mirror)
    {
        if (_static?.UidForMirror(mirror.Metadata.NamespaceProperty, mirror.Metadata.Name) is { } staticUid)
        {
            _workers?.Update(staticUid);
        }
    }

    private sealed class PodEventHandler(NodeAgent agent) : IResourceEventHandler<V1Pod>
    {
        public void OnAdd(V1Pod obj, bool isInInitialList) => agent.OnPod(obj);

        public void OnUpdate(V1Pod oldObj, V1Pod newObj) => agent.OnPod(newObj);

        public void OnDelete(V1Pod obj, bool finalStateUnknown)
        {
            if (StaticPods.StaticPodManager.IsMirror(obj))
            {
                agent.WakeStaticPodOf(obj);
            }
            else if (!string.IsNullOrEmpty(obj.Metadata?.Uid))
            {
                agent._workers?.Update(obj.Metadata.Uid);
            }
        }
    }
}
