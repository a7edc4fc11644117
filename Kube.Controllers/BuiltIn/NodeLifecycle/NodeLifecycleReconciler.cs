using k8s.Models;
using Kube.Controllers.Internal;
using Kube.Controllers.Runtime;
using Kube.Core.Client;
using Kube.Core.Events;
using Kube.Core.Informers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kube.Controllers.BuiltIn.NodeLifecycle;

/// <summary>
/// Upstream's node-lifecycle controller: a node whose kubelet posted neither a Lease renewal (kube-node-lease) nor a
/// status heartbeat within <see cref="ControllerManagerOptions.NodeMonitorGracePeriod"/> (50 s) gets its Ready,
/// MemoryPressure, DiskPressure and PIDPressure conditions set to Unknown ("Kubelet stopped posting node status.");
/// a node whose Ready is False or Unknown gets the <c>node.kubernetes.io/not-ready</c> or
/// <c>node.kubernetes.io/unreachable</c> taints with NoSchedule and NoExecute (removed once Ready again), and its pods
/// are marked not Ready. Evicting pods for NoExecute taints is <see cref="TaintEvictionReconciler"/>'s job.
/// </summary>
public sealed partial class NodeLifecycleReconciler : IReconciler<V1Node>
{
    /// <summary>The namespace of the kubelets' heartbeat Leases.</summary>
    public const string LeaseNamespace = "kube-node-lease";

    private static readonly string[] PressureConditions = ["MemoryPressure", "DiskPressure", "PIDPressure"];

    private readonly IKubeClient _client;
    private readonly IInformer<V1Node> _nodes;
    private readonly IInformer<V1Lease> _leases;
    private readonly IInformer<V1Pod> _pods;
    private readonly TimeProvider _time;
    private readonly ControllerManagerOptions _options;
    private readonly ILogger<NodeLifecycleReconciler> _logger;
    private readonly IEventRecorder? _events;

    /// <summary>
    /// Per node, the last heartbeat seen and when this controller first saw it (upstream's probeTimestamp): silence is
    /// measured on this controller's clock from that moment, so a restart or clock skew never marks healthy nodes Unknown.
    /// </summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (DateTimeOffset Heartbeat, DateTimeOffset SeenAt)> _seen = new(StringComparer.Ordinal);

    public NodeLifecycleReconciler(IKubeClient client, ISharedInformerFactory informers, TimeProvider time, IOptions<ControllerManagerOptions> options,
        ILogger<NodeLifecycleReconciler> logger, IEventRecorder? events = null)
    {
        ArgumentNullException.ThrowIfNull(informers);
        ArgumentNullException.ThrowIfNull(options);
        _client = client;
        _nodes = informers.GetInformer<V1Node>();
        _leases = informers.GetInformer<V1Lease>();
        _pods = informers.GetInformer<V1Pod>();
        NodeTaints.EnsurePodIndex(_pods);
        _time = time;
        _options = options.Value;
        _logger = logger;
        _events = events;
    }

    /// <inheritdoc />
    public async Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken cancellationToken)
    {
        var cached = _nodes.Cache.Get(null, request.Name);
        if (cached is null || cached.Metadata.DeletionTimestamp is not null)
        {
            _seen.TryRemove(request.Name, out _);
            return ReconcileResult.Done;
        }

        var now = _time.GetUtcNow();
        var node = ObjectCopy.Clone(cached);
        node.Status ??= new V1NodeStatus();
        node.Status.Conditions ??= new List<V1NodeCondition>();
        var ready = node.Status.Conditions.FirstOrDefault(c => c.Type == "Ready");
        var heartbeat = LastHeartbeat(node, ready);
        var seen = _seen.AddOrUpdate(node.Metadata.Name, _ => (heartbeat, now), (_, old) => old.Heartbeat == heartbeat ? old : (heartbeat, now));
        var grace = ready is null ? _options.NodeStartupGracePeriod : _options.NodeMonitorGracePeriod;
        TimeSpan? requeue = null;

        if (ready?.Status != "Unknown")
        {
            var silentFor = now - seen.SeenAt;
            if (silentFor > grace)
            {
                MarkUnknown(node, ready, now);
                LogUnknown(node.Metadata.Name, (int)silentFor.TotalSeconds);
                try
                {
                    node = await _client.UpdateStatusAsync(node, cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                catch (NotFoundException)
                {
                    return ReconcileResult.Done;
                }

                _events?.Record(node, EventTypes.Normal, "NodeNotReady", "NodeNotReady", $"Node {node.Metadata.Name} status is now: NodeNotReady");
                ready = node.Status.Conditions.First(c => c.Type == "Ready");
            }
            else
            {
                requeue = grace - silentFor + TimeSpan.FromMilliseconds(100);
            }
        }

        // A new node that has not posted status yet is left alone until its startup grace period runs out.
        if (ready is null) return requeue is { } wait ? ReconcileResult.RequeueAfter(wait) : ReconcileResult.Done;

        // Upstream's full disruption: when no node at all is Ready, the fault is more likely ours (or the network's) than
        // every node's, so NoExecute taints (and with them evictions) are held back.
        var fullDisruption = ready.Status is not "True"
            && _nodes.Cache.List().Where(n => n.Metadata.Name != node.Metadata.Name)
                .All(n => n.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready")?.Status != "True");
        await ReconcileTaintsAsync(node, ready.Status, fullDisruption, now, cancellationToken).ConfigureAwait(false);
        if (ready.Status is not "True")
        {
            await MarkPodsNotReadyAsync(node.Metadata.Name, now, cancellationToken).ConfigureAwait(false);
            requeue = _options.NodeMonitorGracePeriod;
        }
        return requeue is { } r ? ReconcileResult.RequeueAfter(r) : ReconcileResult.Done;
    }

    /// <summary>The latest of the node's Lease renewal, its Ready heartbeat and its creation.</summary>
    private DateTimeOffset LastHeartbeat(V1Node node, V1NodeCondition? ready)
    {
        var times = new List<DateTime?>
        {
            node.Metadata.CreationTimestamp,
            ready?.LastHeartbeatTime,
            _leases.Cache.Get(LeaseNamespace, node.Metadata.Name)?.Spec?.RenewTime,
        };
        var latest = times.Where(t => t is not null).Select(t => t!.Value).DefaultIfEmpty(DateTime.MinValue).Max();
        return new DateTimeOffset(DateTime.SpecifyKind(latest, DateTimeKind.Utc));
    }

    private static void MarkUnknown(V1Node node, V1NodeCondition? ready, DateTimeOffset now)
    {
        var never = ready is null;
        foreach (var type in PressureConditions.Prepend("Ready"))
        {
            var c = node.Status.Conditions.FirstOrDefault(x => x.Type == type);
            if (c is null)
            {
                node.Status.Conditions.Add(new V1NodeCondition
                {
                    Type = type, Status = "Unknown",
                    Reason = "NodeStatusNeverUpdated", Message = "Kubelet never posted node status.",
                    LastHeartbeatTime = node.Metadata.CreationTimestamp, LastTransitionTime = now.UtcDateTime,
                });
                continue;
            }

            if (c.Status == "Unknown") continue;
            c.Status = "Unknown";
            c.Reason = never ? "NodeStatusNeverUpdated" : "NodeStatusUnknown";
            c.Message = never ? "Kubelet never posted node status." : "Kubelet stopped posting node status.";
            c.LastTransitionTime = now.UtcDateTime;
        }
    }

    /// <summary>Adds the not-ready / unreachable taints Ready calls for and removes the others (NoExecute ones carry timeAdded).</summary>
    private async Task ReconcileTaintsAsync(V1Node node, string? readyStatus, bool fullDisruption, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var desired = NodeTaints.Desired(readyStatus).Where(d => !fullDisruption || d.Effect != NodeTaints.NoExecute).ToList();
        var current = node.Spec?.Taints ?? [];
        var owned = current.Where(NodeTaints.IsOwned).ToList();
        if (owned.Count == desired.Count && desired.All(d => owned.Any(t => t.Key == d.Key && t.Effect == d.Effect))) return;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var copy = ObjectCopy.Clone(node);
            copy.Spec ??= new V1NodeSpec();
            var taints = (copy.Spec.Taints ?? []).Where(t => !NodeTaints.IsOwned(t) || desired.Contains((t.Key, t.Effect))).ToList();
            foreach (var (key, effect) in desired)
            {
                if (taints.Any(t => t.Key == key && t.Effect == effect)) continue;
                taints.Add(new V1Taint { Key = key, Effect = effect, TimeAdded = effect == NodeTaints.NoExecute ? now.UtcDateTime : null });
            }

            copy.Spec.Taints = taints.Count == 0 ? null : taints;
            try
            {
                await _client.UpdateAsync(copy, cancellationToken: cancellationToken).ConfigureAwait(false);
                LogTaints(node.Metadata.Name, string.Join(",", desired.Select(d => $"{d.Key}:{d.Effect}")));
                return;
            }
            catch (NotFoundException)
            {
                return;
            }
            catch (ConflictException)
            {
                node = await _client.GetAsync<V1Node>(node.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }

        throw new ConflictException(new V1Status { Message = $"node {node.Metadata.Name} kept changing while its taints were updated", Code = 409 });
    }

    /// <summary>Upstream's MarkPodsNotReady: the pods on a node that is not Ready are not Ready either.</summary>
    private async Task MarkPodsNotReadyAsync(string nodeName, DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var pod in NodeTaints.PodsOn(_pods, nodeName))
        {
            if (pod.Metadata.DeletionTimestamp is not null || pod.Status?.Phase is "Succeeded" or "Failed") continue;
            var ready = pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready");
            if (ready?.Status != "True") continue;
            var copy = ObjectCopy.Clone(pod);
            var c = copy.Status.Conditions.First(x => x.Type == "Ready");
            c.Status = "False";
            c.LastTransitionTime = now.UtcDateTime;
            try
            {
                await _client.UpdateStatusAsync(copy, cancellationToken: cancellationToken).ConfigureAwait(false);
                _events?.Record(pod, EventTypes.Warning, "NodeNotReady", "NodeNotReady", "Node is not ready");
            }
            catch (KubeApiException ex) when (ex is NotFoundException or ConflictException)
            {
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {Node} posted no status for {Seconds}s: marking it Unknown")]
    private partial void LogUnknown(string node, int seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {Node}: lifecycle taints now [{Taints}]")]
    private partial void LogTaints(string node, string taints);
}
