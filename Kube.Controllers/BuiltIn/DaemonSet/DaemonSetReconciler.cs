using System.Globalization;
using k8s;
using k8s.Models;
using Kube.Controllers.Internal;
using Kube.Controllers.Runtime;
using Kube.Core.Client;
using Kube.Core.Events;
using Kube.Core.Helpers;
using Kube.Core.Informers;
using Microsoft.Extensions.Logging;

namespace Kube.Controllers.BuiltIn.DaemonSet;

/// <summary>
/// The DaemonSet controller: one pod per eligible node (nodeSelector, required node affinity, taints tolerated with the
/// DaemonSet default tolerations), pinned to its node by required node affinity on <c>metadata.name</c> as upstream
/// does; pods leave nodes whose NoExecute taints they do not tolerate; failed pods are replaced; RollingUpdate replaces
/// old-template pods within maxUnavailable (default 1), or with maxSurge starts the new pod beside the old one and deletes
/// the old one once the new one is available (minReadySeconds); OnDelete only when deleted; status counts as upstream.
/// </summary>
public sealed partial class DaemonSetReconciler : IReconciler<V1DaemonSet>
{
    /// <summary>The label with the template generation (deprecated upstream, still set).</summary>
    public const string TemplateGenerationLabel = "pod-template-generation";

    /// <summary>The label with the template hash.</summary>
    public const string RevisionLabel = "controller-revision-hash";

    private readonly IKubeClient _client;
    private readonly RevisionedPodSet<V1DaemonSet> _set;
    private readonly IInformer<V1Node> _nodes;
    private readonly TimeProvider _time;
    private readonly ILogger<DaemonSetReconciler> _logger;
    private readonly IEventRecorder? _events;

    public DaemonSetReconciler(IKubeClient client, ISharedInformerFactory informers, TimeProvider time, ILogger<DaemonSetReconciler> logger,
        IEventRecorder? events = null)
    {
        ArgumentNullException.ThrowIfNull(informers);
        _client = client;
        _set = new RevisionedPodSet<V1DaemonSet>(client, informers, ds => ds.Spec.Selector, ds => ds.Spec.Template, ds => ds.Status?.CollisionCount);
        _nodes = informers.GetInformer<V1Node>();
        _time = time;
        _logger = logger;
        _events = events;
    }

    /// <inheritdoc />
    public Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken cancellationToken) =>
        _set.ReconcileAsync(request, SyncAsync, cancellationToken);

    private async Task<ReconcileResult> SyncAsync(RevisionedPodSet<V1DaemonSet>.State state, V1ControllerRevision current, CancellationToken cancellationToken)
    {
        var (ds, _, pods, revisions, _) = state;
        // New pods carry the hash of the revision that holds the template (upstream reads it from the revision's label).
        var hash = current.Metadata.Labels?.TryGetValue(RevisionLabel, out var h) == true ? h : ControllerHistory.Hash(ds.Spec.Template, ds.Status?.CollisionCount);
        var inUse = pods.Where(p => p.Metadata.DeletionTimestamp is null).Select(RevisionOf).OfType<string>().Append(current.Metadata.Name)
            .ToHashSet(StringComparer.Ordinal);
        await ControllerHistory.CleanupAsync(_client, ds, revisions.Where(r => r.Metadata.Name != current.Metadata.Name).ToList(), inUse,
            ds.Spec.RevisionHistoryLimit ?? 10, cancellationToken).ConfigureAwait(false);

        var now = _time.GetUtcNow();
        var minReady = ds.Spec.MinReadySeconds ?? 0;
        var rolling = ds.Spec.UpdateStrategy?.Type != "OnDelete";
        var nodes = _nodes.Cache.List();
        var byNode = pods.Where(p => DaemonNodes.TargetNode(p) is not null).GroupBy(p => DaemonNodes.TargetNode(p)!).ToDictionary(g => g.Key, g => g.ToList());
        var create = new List<string>();
        var delete = new List<V1Pod>();
        var shouldRun = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in nodes)
            if (DaemonNodes.Evaluate(ds.Spec.Template.Spec, node).ShouldRun) shouldRun.Add(node.Metadata.Name);
        var maxSurge = rolling ? Scaled(ds.Spec.UpdateStrategy?.RollingUpdate?.MaxSurge, shouldRun.Count, 0) : 0;
        foreach (var node in nodes)
        {
            var name = node.Metadata.Name;
            var (run, keep) = DaemonNodes.Evaluate(ds.Spec.Template.Spec, node);
            var here = byNode.TryGetValue(name, out var list) ? list : [];
            var live = here.Where(p => p.Metadata.DeletionTimestamp is null).ToList();
            if (!keep)
            {
                delete.AddRange(live);
                continue;
            }

            var failed = live.Where(p => p.Status?.Phase == "Failed").ToList();
            delete.AddRange(failed);
            live = live.Except(failed).ToList();
            if (live.Count == 0 && run && here.All(p => p.Metadata.DeletionTimestamp is null) && failed.Count == 0) create.Add(name);
            if (live.Count > 1) delete.AddRange(SurplusPods(live, hash, surging: maxSurge > 0));
        }

        if (rolling && maxSurge > 0)
        {
            var (victims, surgeNodes) = SurgeUpdate(byNode, shouldRun, hash, now, minReady, maxSurge, delete);
            delete.AddRange(victims);
            create.AddRange(surgeNodes.Except(create));
        }
        else if (rolling)
        {
            delete.AddRange(RollingUpdateVictims(ds, byNode, shouldRun, hash, now, minReady, delete));
        }

        foreach (var node in create) await CreatePodAsync(ds, node, hash, cancellationToken).ConfigureAwait(false);
        foreach (var pod in delete.DistinctBy(p => p.Metadata.Uid)) await DeletePodAsync(ds, pod, cancellationToken).ConfigureAwait(false);
        await UpdateStatusAsync(ds, byNode, shouldRun, hash, now, minReady, cancellationToken).ConfigureAwait(false);
        if (create.Count + delete.Count > 0) return ReconcileResult.RequeueAfter(TimeSpan.FromSeconds(1));

        // minReadySeconds: look again when the next ready pod becomes available (status counts and the rollout depend on it).
        var next = pods.Select(p => PodUtil.TimeUntilAvailable(p, minReady, now)).Where(t => t is not null).Min();
        return next is { } wait ? ReconcileResult.RequeueAfter(wait + TimeSpan.FromMilliseconds(100)) : ReconcileResult.Done;
    }

    /// <summary>
    /// Pods beyond one per node, as upstream's manage loop: without surge all but the oldest current-template pod go (the
    /// oldest pod when none is current); with surge an old and a new pod may share a node while the old one is ready and
    /// the new one is not, and every other pod goes.
    /// </summary>
    private static IEnumerable<V1Pod> SurplusPods(List<V1Pod> live, string hash, bool surging)
    {
        var ordered = live.OrderBy(p => p.Metadata.CreationTimestamp).ToList();
        if (!surging)
        {
            var keepPod = ordered.OrderBy(p => RevisionOf(p) == hash ? 0 : 1).First();
            return ordered.Where(p => p != keepPod).ToList();
        }

        var oldestNew = ordered.FirstOrDefault(p => RevisionOf(p) == hash);
        var oldestOld = ordered.FirstOrDefault(p => RevisionOf(p) != hash);
        var surplus = ordered.Where(p => p != oldestNew && p != oldestOld).ToList();
        if (oldestNew is not null && oldestOld is not null && (!PodUtil.IsReady(oldestOld) || PodUtil.IsReady(oldestNew))) surplus.Add(oldestOld);
        return surplus;
    }

    /// <summary>
    /// RollingUpdate with maxSurge, as upstream: a node whose old pod is unavailable gets its new pod at once; up to
    /// maxSurge other nodes get a new pod beside the old one; an old pod goes once the new pod on its node is available.
    /// Returns the old pods to delete and the nodes to create a new pod on.
    /// </summary>
    private static (List<V1Pod> Victims, List<string> Nodes) SurgeUpdate(Dictionary<string, List<V1Pod>> byNode, HashSet<string> shouldRun, string hash,
        DateTimeOffset now, int minReady, int maxSurge, List<V1Pod> alreadyDeleting)
    {
        var victims = new List<V1Pod>();
        var allowed = new List<string>();
        var candidates = new List<string>();
        var surging = 0;
        foreach (var node in shouldRun.Order(StringComparer.Ordinal))
        {
            var live = byNode.TryGetValue(node, out var list) ? list.Where(p => p.Metadata.DeletionTimestamp is null && !alreadyDeleting.Contains(p)).ToList() : [];
            var oldPod = live.Where(p => RevisionOf(p) != hash).OrderBy(p => p.Metadata.CreationTimestamp).FirstOrDefault();
            var newPod = live.Where(p => RevisionOf(p) == hash).OrderBy(p => p.Metadata.CreationTimestamp).FirstOrDefault();
            if (oldPod is null) continue;
            if (newPod is null)
            {
                if (!PodUtil.IsAvailable(oldPod, minReady, now)) allowed.Add(node);
                else if (surging < maxSurge) candidates.Add(node);
                continue;
            }

            if (!PodUtil.IsAvailable(newPod, minReady, now))
            {
                surging++;
                continue;
            }

            victims.Add(oldPod);
        }

        var remaining = Math.Clamp(maxSurge - surging, 0, candidates.Count);
        return (victims, [.. allowed, .. candidates.Take(remaining)]);
    }

    /// <summary>Old-template pods to replace now: unavailable ones at once, available ones while fewer than maxUnavailable nodes are down.</summary>
    private static IEnumerable<V1Pod> RollingUpdateVictims(V1DaemonSet ds, Dictionary<string, List<V1Pod>> byNode, HashSet<string> shouldRun, string hash,
        DateTimeOffset now, int minReady, List<V1Pod> alreadyDeleting)
    {
        var desired = shouldRun.Count;
        var maxUnavailable = Scaled(ds.Spec.UpdateStrategy?.RollingUpdate?.MaxUnavailable, desired, 1);
        if (maxUnavailable == 0) maxUnavailable = 1;
        var unavailable = 0;
        var oldAvailable = new List<V1Pod>();
        var victims = new List<V1Pod>();
        foreach (var node in shouldRun)
        {
            var live = byNode.TryGetValue(node, out var list) ? list.Where(p => p.Metadata.DeletionTimestamp is null && !alreadyDeleting.Contains(p)).ToList() : [];
            var available = live.Any(p => PodUtil.IsAvailable(p, minReady, now));
            if (!available) unavailable++;
            foreach (var p in live.Where(p => RevisionOf(p) != hash))
            {
                if (PodUtil.IsAvailable(p, minReady, now)) oldAvailable.Add(p);
                else victims.Add(p);
            }
        }

        foreach (var p in oldAvailable.OrderBy(p => p.Metadata.Name, StringComparer.Ordinal))
        {
            if (unavailable >= maxUnavailable) break;
            victims.Add(p);
            unavailable++;
        }

        return victims;
    }

    private static int Scaled(IntOrString? value, int total, int fallback)
    {
        if (value?.Value is not { Length: > 0 } text) return fallback;
        if (text.EndsWith('%') && int.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var pct))
            return (int)Math.Ceiling(total * pct / 100.0);
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : fallback;
    }

    private static string? RevisionOf(V1Pod pod) => pod.Metadata.Labels?.TryGetValue(RevisionLabel, out var r) == true ? r : null;

    private async Task CreatePodAsync(V1DaemonSet ds, string node, string hash, CancellationToken cancellationToken)
    {
        var template = ObjectCopy.Clone(ds.Spec.Template);
        var labels = template.Metadata?.Labels is { } l ? new Dictionary<string, string>(l) : new Dictionary<string, string>();
        labels[RevisionLabel] = hash;
        labels[TemplateGenerationLabel] = (ds.Metadata.Generation ?? 1).ToString(CultureInfo.InvariantCulture);
        var spec = template.Spec;
        spec.Tolerations = DaemonNodes.WithDefaults(spec);
        DaemonNodes.PinToNode(spec, node);
        var pod = new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta
            {
                GenerateName = ds.Metadata.Name + "-",
                NamespaceProperty = ds.Metadata.NamespaceProperty,
                Labels = labels,
                Annotations = template.Metadata?.Annotations,
                OwnerReferences = [OwnerReferences.NewControllerRef(ds)],
            },
            Spec = spec,
        };
        var created = await _client.CreateAsync(pod, cancellationToken: cancellationToken).ConfigureAwait(false);
        _events?.Record(ds, EventTypes.Normal, "SuccessfulCreate", "Create", $"Created pod: {created.Metadata.Name}");
        LogCreated(ds.Metadata.NamespaceProperty ?? "", ds.Metadata.Name, created.Metadata.Name, node);
    }

    private async Task DeletePodAsync(V1DaemonSet ds, V1Pod pod, CancellationToken cancellationToken)
    {
        try
        {
            await _client.DeleteAsync<V1Pod>(pod.Metadata.Name, pod.Metadata.NamespaceProperty, new DeleteOptions { PreconditionUid = pod.Metadata.Uid }, cancellationToken)
                .ConfigureAwait(false);
            _events?.Record(ds, EventTypes.Normal, "SuccessfulDelete", "Delete", $"Deleted pod: {pod.Metadata.Name}");
        }
        catch (KubeApiException ex) when (ex is NotFoundException or ConflictException)
        {
        }
    }

    /// <summary>The ControllerRevision of the current template (created when new); null after a hash collision raised collisionCount.</summary>
    private async Task UpdateStatusAsync(V1DaemonSet ds, Dictionary<string, List<V1Pod>> byNode, HashSet<string> shouldRun, string hash,
        DateTimeOffset now, int minReady, CancellationToken cancellationToken)
    {
        int current = 0, misscheduled = 0, ready = 0, available = 0, updated = 0;
        foreach (var (node, list) in byNode)
        {
            var live = list.Where(p => p.Metadata.DeletionTimestamp is null).ToList();
            if (live.Count == 0) continue;
            if (!shouldRun.Contains(node))
            {
                misscheduled++;
                continue;
            }

            current++;
            var newest = live.OrderByDescending(p => RevisionOf(p) == hash).First();
            if (PodUtil.IsReady(newest))
            {
                ready++;
                if (PodUtil.IsAvailable(newest, minReady, now)) available++;
            }

            if (RevisionOf(newest) == hash) updated++;
        }

        var status = new V1DaemonSetStatus
        {
            DesiredNumberScheduled = shouldRun.Count,
            CurrentNumberScheduled = current,
            NumberMisscheduled = misscheduled,
            NumberReady = ready,
            NumberAvailable = available,
            NumberUnavailable = Math.Max(0, shouldRun.Count - available),
            UpdatedNumberScheduled = updated,
            ObservedGeneration = ds.Metadata.Generation,
            CollisionCount = ds.Status?.CollisionCount,
            Conditions = ds.Status?.Conditions,
        };
        if (ds.Status is { } old && KubernetesJson.Serialize(old) == KubernetesJson.Serialize(status)) return;
        var copy = ObjectCopy.Clone(ds);
        copy.Status = status;
        try
        {
            await _client.UpdateStatusAsync(copy, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (NotFoundException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "DaemonSet {Namespace}/{Name}: created pod {Pod} for node {Node}")]
    private partial void LogCreated(string @namespace, string name, string pod, string node);
}
