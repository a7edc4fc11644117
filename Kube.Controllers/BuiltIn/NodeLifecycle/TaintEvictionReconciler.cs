using k8s.Models;
using Kube.Controllers.BuiltIn.DaemonSet;
using Kube.Controllers.Internal;
using Kube.Controllers.Runtime;
using Kube.Core.Client;
using Kube.Core.Events;
using Kube.Core.Informers;
using Microsoft.Extensions.Logging;

namespace Kube.Controllers.BuiltIn.NodeLifecycle;

/// <summary>
/// Upstream's taint-eviction controller: a pod on a node with NoExecute taints is deleted at once when it does not
/// tolerate one of them, after the smallest matching tolerationSeconds (counted from the taint's timeAdded) when it
/// tolerates them for a while, and never when it tolerates them without a limit. The pod first gets the
/// DisruptionTarget condition (reason DeletionByTaintManager). Requests are nodes.
/// </summary>
public sealed partial class TaintEvictionReconciler : IReconciler<V1Node>
{
    private readonly IKubeClient _client;
    private readonly IInformer<V1Node> _nodes;
    private readonly IInformer<V1Pod> _pods;
    private readonly TimeProvider _time;
    private readonly ILogger<TaintEvictionReconciler> _logger;
    private readonly IEventRecorder? _events;

    public TaintEvictionReconciler(IKubeClient client, ISharedInformerFactory informers, TimeProvider time, ILogger<TaintEvictionReconciler> logger,
        IEventRecorder? events = null)
    {
        ArgumentNullException.ThrowIfNull(informers);
        _client = client;
        _nodes = informers.GetInformer<V1Node>();
        _pods = informers.GetInformer<V1Pod>();
        NodeTaints.EnsurePodIndex(_pods);
        _time = time;
        _logger = logger;
        _events = events;
    }

    /// <inheritdoc />
    public async Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken cancellationToken)
    {
        var node = _nodes.Cache.Get(null, request.Name);
        var taints = node?.Spec?.Taints?.Where(t => t.Effect == NodeTaints.NoExecute).ToList();
        if (node is null || taints is not { Count: > 0 }) return ReconcileResult.Done;
        var now = _time.GetUtcNow();
        TimeSpan? next = null;
        foreach (var pod in NodeTaints.PodsOn(_pods, node.Metadata.Name))
        {
            if (pod.Metadata.DeletionTimestamp is not null || pod.Status?.Phase is "Succeeded" or "Failed") continue;
            var evictAt = EvictionTime(pod, taints);
            if (evictAt is null) continue;
            if (evictAt.Value > now)
            {
                var wait = evictAt.Value - now;
                if (next is null || wait < next) next = wait;
                continue;
            }

            await EvictAsync(pod, now, cancellationToken).ConfigureAwait(false);
        }

        return next is { } n ? ReconcileResult.RequeueAfter(n + TimeSpan.FromMilliseconds(10)) : ReconcileResult.Done;
    }

    /// <summary>When the pod must go: MinValue for an untolerated taint, null for never.</summary>
    internal static DateTimeOffset? EvictionTime(V1Pod pod, IEnumerable<V1Taint> noExecuteTaints)
    {
        DateTimeOffset? earliest = null;
        foreach (var taint in noExecuteTaints)
        {
            var matching = (pod.Spec?.Tolerations ?? []).Where(t => DaemonNodes.Tolerates(t, taint)).ToList();
            if (matching.Count == 0) return DateTimeOffset.MinValue;
            if (matching.Any(t => t.TolerationSeconds is null)) continue;
            var seconds = Math.Max(0, matching.Min(t => t.TolerationSeconds!.Value));
            var added = taint.TimeAdded is { } a ? new DateTimeOffset(DateTime.SpecifyKind(a, DateTimeKind.Utc)) : DateTimeOffset.MinValue;
            var at = added == DateTimeOffset.MinValue ? DateTimeOffset.MinValue : added.AddSeconds(seconds);
            if (earliest is null || at < earliest) earliest = at;
        }

        return earliest;
    }

    private async Task EvictAsync(V1Pod pod, DateTimeOffset now, CancellationToken cancellationToken)
    {
        LogEvicting(pod.Metadata.NamespaceProperty ?? "", pod.Metadata.Name, pod.Spec.NodeName);
        _events?.Record(pod, EventTypes.Normal, "TaintManagerEviction", "Delete", $"Marking for deletion Pod {pod.Metadata.NamespaceProperty}/{pod.Metadata.Name}");
        try
        {
            var copy = ObjectCopy.Clone(pod);
            copy.Status ??= new V1PodStatus();
            copy.Status.Conditions ??= new List<V1PodCondition>();
            if (!copy.Status.Conditions.Any(c => c.Type == "DisruptionTarget" && c.Status == "True"))
            {
                copy.Status.Conditions.Add(new V1PodCondition
                {
                    Type = "DisruptionTarget", Status = "True", Reason = "DeletionByTaintManager",
                    Message = "Taint manager: deleting due to NoExecute taint", LastTransitionTime = now.UtcDateTime,
                });
                await _client.UpdateStatusAsync(copy, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }
        catch (KubeApiException ex) when (ex is ConflictException or NotFoundException)
        {
            // Best effort: the deletion below is what counts.
        }

        try
        {
            await _client.DeleteAsync<V1Pod>(pod.Metadata.Name, pod.Metadata.NamespaceProperty, new DeleteOptions { PreconditionUid = pod.Metadata.Uid }, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (KubeApiException ex) when (ex is NotFoundException or ConflictException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Evicting pod {Namespace}/{Pod} from node {Node} for a NoExecute taint")]
    private partial void LogEvicting(string @namespace, string pod, string node);
}
