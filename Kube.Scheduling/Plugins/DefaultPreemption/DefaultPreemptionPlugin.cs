using k8s.Models;
using Kube.Core.Client;
using Kube.Core.Informers;
using Kube.Core.Selectors;
using Kube.Scheduling.Framework;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Kube.Scheduling.Plugins.DefaultPreemption;

/// <summary>
/// PostFilter: preemption, as upstream's DefaultPreemption. When no node fits a pod, it looks for nodes where removing
/// lower-priority pods (victims) makes it fit: on each node whose Filter status is Unschedulable (not Unresolvable) it
/// removes every lower-priority pod through the PreFilterExtensions, checks the pod fits, then reprieves as many victims
/// as possible, most important first (PDB-violating ones first). Among the candidates it picks the node with the fewest
/// PDB violations, then the lowest highest victim priority, the smallest priority sum, the fewest victims, and the latest
/// start of the highest-priority victims. It then sets a DisruptionTarget condition on the victims and deletes them
/// gracefully through the API, clears lower-priority nominations on that node, and nominates the pod there
/// (<c>status.nominatedNodeName</c>). Pods with <c>preemptionPolicy: Never</c> never preempt.
/// </summary>
public sealed partial class DefaultPreemptionPlugin : IPostFilterPlugin
{
    public const string PluginName = "DefaultPreemption";
    public const string ErrReasonNotHelpful = "Preemption is not helpful for scheduling";
    public const string ErrReasonNoVictims = "No preemption victims found for incoming pod";

    // Statuses are immutable: one instance serves every node.
    private static readonly Status NotHelpful = Status.UnschedulableAndUnresolvable(ErrReasonNotHelpful);
    private static readonly Status NoVictims = Status.Unschedulable(ErrReasonNoVictims);

    private readonly IFrameworkHandle _handle;
    private readonly IKubeClient _client;
    private readonly IInformer<V1PodDisruptionBudget>? _pdbs;
    private readonly DefaultPreemptionArgs _args;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Random _random = new(0);
    private readonly bool _async;

    public DefaultPreemptionPlugin(IFrameworkHandle handle, IKubeClient client, ISharedInformerFactory? informers = null, DefaultPreemptionArgs? args = null,
        TimeProvider? time = null, ILogger<DefaultPreemptionPlugin>? logger = null, IOptions<SchedulerOptions>? options = null)
    {
        ArgumentNullException.ThrowIfNull(handle);
        ArgumentNullException.ThrowIfNull(client);
        _handle = handle;
        _client = client;
        _pdbs = informers?.GetInformer<V1PodDisruptionBudget>();
        _args = args ?? new DefaultPreemptionArgs();
        _time = time ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _async = options?.Value.AsyncPreemption ?? true;
    }

    public string Name => PluginName;

    public async Task<PostFilterResult> PostFilterAsync(CycleState state, V1Pod pod, IReadOnlyDictionary<string, Status> filteredNodeStatuses, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(filteredNodeStatuses);
        var nodes = _handle.Snapshot;
        var (eligible, why) = PodEligibleToPreemptOthers(pod, nodes);
        if (!eligible) return new PostFilterResult(null, Status.Unschedulable("preemption: " + why));

        var pdbs = _pdbs is { HasSynced: true } ? _pdbs.Cache.List() : [];
        var (candidates, statuses) = FindCandidates(_handle.Framework, state, pod, nodes, filteredNodeStatuses, pdbs, _args, _random.Next());
        if (candidates.Count == 0)
            return new PostFilterResult(null, Status.Unschedulable("preemption: " + FitError.Message(nodes.Count, null, statuses)));

        var best = SelectCandidate(candidates);
        LogPreempting(pod.Metadata.NamespaceProperty, pod.Metadata.Name, best.NodeName, best.Victims.Count);
        var victims = best.Victims.Select(v => v.Metadata.Uid).ToArray();
        if (!_async)
        {
            await PrepareCandidateAsync(best, pod, cancellationToken).ConfigureAwait(false);
            return new PostFilterResult(best.NodeName, Status.Success) { AwaitedPodUids = victims };
        }

        // Upstream's asynchronous preemption: the API calls run off the scheduling cycle; the pod is nominated at once and
        // the scheduler does not retry it before they are done.
        var pending = Task.Run(() => PrepareCandidateInTurnAsync(best, pod, cancellationToken), CancellationToken.None);
        return new PostFilterResult(best.NodeName, Status.Success) { Pending = pending, AwaitedPodUids = victims };
    }

    /// <summary>Whether the pod may preempt: not with preemptionPolicy Never, nor while lower-priority pods on its nominated node are still terminating.</summary>
    public static (bool Eligible, string Reason) PodEligibleToPreemptOthers(V1Pod pod, IReadOnlyList<NodeInfo> nodes)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(nodes);
        if (pod.Spec?.PreemptionPolicy == "Never") return (false, "not eligible due to preemptionPolicy=Never.");
        var priority = pod.Spec?.Priority ?? 0;
        if (pod.Status?.NominatedNodeName is { Length: > 0 } nominated && nodes.FirstOrDefault(n => n.Name == nominated) is { } node
            && node.Pods.Any(p => p.Metadata.DeletionTimestamp is not null && (p.Spec?.Priority ?? 0) < priority))
            return (false, "not eligible due to a terminating pod on the nominated node.");
        return (true, "");
    }

    /// <summary>
    /// The candidates among the nodes Filter found Unschedulable (not Unresolvable), tried from <paramref name="offset"/>
    /// round-robin until max(MinCandidateNodesPercentage % of them, MinCandidateNodesAbsolute) were found; and the
    /// status of every node that is not one, for the message.
    /// </summary>
    public static (List<PreemptionCandidate> Candidates, Dictionary<string, Status> Statuses) FindCandidates(SchedulingFramework framework, CycleState state, V1Pod pod,
        IReadOnlyList<NodeInfo> nodes, IReadOnlyDictionary<string, Status> filtered, IReadOnlyList<V1PodDisruptionBudget> pdbs, DefaultPreemptionArgs args, int offset)
    {
        ArgumentNullException.ThrowIfNull(framework);
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(filtered);
        ArgumentNullException.ThrowIfNull(args);
        var statuses = new Dictionary<string, Status>(StringComparer.Ordinal);
        var potential = new List<NodeInfo>();
        foreach (var n in nodes)
        {
            if (filtered.TryGetValue(n.Name, out var s) && s.Code == StatusCode.UnschedulableAndUnresolvable) statuses[n.Name] = NotHelpful;
            else potential.Add(n);
        }

        var candidates = new List<PreemptionCandidate>();
        if (potential.Count == 0) return (candidates, statuses);
        var want = Math.Min(potential.Count, Math.Max(potential.Count * args.MinCandidateNodesPercentage / 100, args.MinCandidateNodesAbsolute));
        var start = (int)((uint)offset % (uint)potential.Count);
        // Nodes are dry-run in parallel batches of the candidates still wanted (upstream's parallelizer stops once enough
        // are found); the results are taken in round-robin order, so the outcome does not depend on the threads.
        var results = new PreemptionCandidate?[potential.Count];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount };
        var k = 0;
        while (k < potential.Count && candidates.Count < want)
        {
            var batch = Math.Min(potential.Count - k, want - candidates.Count);
            var first = k;
            if (batch < 8 || parallel.MaxDegreeOfParallelism == 1)
                for (var j = 0; j < batch; j++) results[first + j] = SelectVictimsOnNode(framework, state, pod, potential[(start + first + j) % potential.Count], pdbs);
            else
                Parallel.For(0, batch, parallel, j => results[first + j] = SelectVictimsOnNode(framework, state, pod, potential[(start + first + j) % potential.Count], pdbs));
            for (var j = 0; j < batch; j++, k++)
            {
                var node = potential[(start + k) % potential.Count];
                if (results[k] is not { Victims.Count: > 0 } c) statuses[node.Name] = NoVictims;
                else candidates.Add(c);
            }
        }

        for (; k < potential.Count; k++) statuses[potential[(start + k) % potential.Count].Name] = NoVictims;
        return (candidates, statuses);
    }

    /// <summary>
    /// The fewest lower-priority pods to remove from <paramref name="node"/> for <paramref name="pod"/> to fit, or null when
    /// it does not fit even without all of them. Works on clones of the node and the cycle state.
    /// </summary>
    public static PreemptionCandidate? SelectVictimsOnNode(SchedulingFramework framework, CycleState state, V1Pod pod, NodeInfo node, IReadOnlyList<V1PodDisruptionBudget> pdbs)
    {
        ArgumentNullException.ThrowIfNull(framework);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(node);
        // The checks add the nominated pods to this dry run's own copies and take them out again; should an extension fail
        // half-way, the node is tried again with the framework's copying check.
        var candidate = SelectVictims(framework, state, pod, node, pdbs, inPlace: true, out var trusted);
        return trusted ? candidate : SelectVictims(framework, state, pod, node, pdbs, inPlace: false, out _);
    }

    /// <summary>The dry run; <paramref name="trusted"/> is false when an in-place check could not restore the copies.</summary>
    private static PreemptionCandidate? SelectVictims(SchedulingFramework framework, CycleState state, V1Pod pod, NodeInfo node,
        IReadOnlyList<V1PodDisruptionBudget> pdbs, bool inPlace, out bool trusted)
    {
        trusted = true;
        var priority = pod.Spec?.Priority ?? 0;
        var nodeCopy = node.Clone();
        var stateCopy = state.Clone();
        var potential = new List<V1Pod>();
        bool? Fits() => inPlace ? framework.FitsWithNominatedPodsInPlace(stateCopy, pod, nodeCopy) : framework.RunFilterWithNominatedPods(stateCopy, pod, nodeCopy).IsSuccess;
        foreach (var p in node.Pods)
        {
            if ((p.Spec?.Priority ?? 0) >= priority) continue;
            potential.Add(p);
            nodeCopy.RemovePod(p.Metadata.Uid);
            if (!framework.RunPreFilterExtensionRemovePod(stateCopy, pod, p, nodeCopy).IsSuccess) return null;
        }

        if (potential.Count == 0) return null;
        var fitsWithout = Fits();
        trusted = fitsWithout is not null;
        if (fitsWithout != true) return null;

        potential.Sort((a, b) => MoreImportantPod(a, b) ? -1 : MoreImportantPod(b, a) ? 1 : 0);
        var (violating, nonViolating) = SplitByPdbViolation(potential, pdbs ?? []);
        var victims = new List<V1Pod>();
        var numViolating = 0;
        var restored = true;
        bool Reprieve(V1Pod p)
        {
            nodeCopy.AddPod(p);
            framework.RunPreFilterExtensionAddPod(stateCopy, pod, p, nodeCopy);
            var fits = Fits();
            restored &= fits is not null;
            if (fits == true) return true;
            nodeCopy.RemovePod(p.Metadata.Uid);
            framework.RunPreFilterExtensionRemovePod(stateCopy, pod, p, nodeCopy);
            victims.Add(p);
            return false;
        }

        foreach (var p in violating)
            if (!Reprieve(p)) numViolating++;
        foreach (var p in nonViolating) Reprieve(p);
        trusted = restored;
        victims.Sort((a, b) => MoreImportantPod(a, b) ? -1 : MoreImportantPod(b, a) ? 1 : 0);
        return new PreemptionCandidate(node.Name, victims, numViolating);
    }

    /// <summary>
    /// Upstream's pickOneNodeForPreemption: fewest PDB violations, then the lowest highest victim priority, the smallest sum of
    /// victim priorities, the fewest victims, the latest earliest start among the highest-priority victims; then the first.
    /// </summary>
    public static PreemptionCandidate SelectCandidate(IReadOnlyList<PreemptionCandidate> candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        if (candidates.Count == 0) throw new ArgumentException("No candidates.", nameof(candidates));
        // Narrowing by each criterion in turn is the lexicographic minimum of the keys, the first candidate on ties.
        var best = 0;
        var bestKey = Key(candidates[0]);
        for (var i = 1; i < candidates.Count; i++)
        {
            var key = Key(candidates[i]);
            if (key.CompareTo(bestKey) < 0)
            {
                best = i;
                bestKey = key;
            }
        }

        return candidates[best];
    }

    private static (long Violations, long HighestPriority, long PrioritySum, long Victims, long LatestStart) Key(PreemptionCandidate c)
    {
        var victims = c.Victims;
        long highest = int.MinValue, sum = 0;
        foreach (var v in victims)
        {
            long p = v.Spec?.Priority ?? 0;
            highest = Math.Max(highest, p);
            sum += p + int.MaxValue + 1;
        }

        return (c.NumPdbViolations, highest, sum, victims.Count, -EarliestStartOfHighestPriority(victims).UtcTicks);
    }

    /// <summary>Upstream's MoreImportantPod: higher priority, then the earlier start.</summary>
    public static bool MoreImportantPod(V1Pod a, V1Pod b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var pa = a.Spec?.Priority ?? 0;
        var pb = b.Spec?.Priority ?? 0;
        if (pa != pb) return pa > pb;
        return StartTime(a) < StartTime(b);
    }

    /// <summary>
    /// Splits pods (sorted by importance) into those whose removal would break a PodDisruptionBudget (no disruptions left,
    /// counting earlier pods of the list) and the others.
    /// </summary>
    public static (List<V1Pod> Violating, List<V1Pod> NonViolating) SplitByPdbViolation(IReadOnlyList<V1Pod> pods, IReadOnlyList<V1PodDisruptionBudget> pdbs)
    {
        ArgumentNullException.ThrowIfNull(pods);
        ArgumentNullException.ThrowIfNull(pdbs);
        var allowed = pdbs.Select(p => p.Status?.DisruptionsAllowed ?? 0).ToArray();
        var selectors = pdbs.Select(p => p.Spec?.Selector is { } s ? LabelSelector.FromLabelSelector(s) : LabelSelector.Nothing).ToArray();
        var violating = new List<V1Pod>();
        var nonViolating = new List<V1Pod>();
        foreach (var pod in pods)
        {
            var violates = false;
            if (pod.Metadata.Labels is { Count: > 0 })
            {
                for (var i = 0; i < pdbs.Count; i++)
                {
                    if (pdbs[i].Metadata.NamespaceProperty != pod.Metadata.NamespaceProperty) continue;
                    if (pdbs[i].Spec?.Selector is not { } sel || (sel.MatchLabels is null or { Count: 0 } && sel.MatchExpressions is null or { Count: 0 })) continue;
                    if (!selectors[i].Matches(pod.Metadata.Labels)) continue;
                    if (pdbs[i].Status?.DisruptedPods?.ContainsKey(pod.Metadata.Name) == true) continue;
                    allowed[i]--;
                    if (allowed[i] < 0) violates = true;
                }
            }

            (violates ? violating : nonViolating).Add(pod);
        }

        return (violating, nonViolating);
    }

    /// <summary>
    /// How many asynchronous preemptions make their API calls at once; the others wait their turn, first come first
    /// served, so that each preemptor's victims go (and it binds) in the order it was nominated instead of every
    /// preemption's calls finishing together behind the rest. Upstream's client is rate-limited too (kubeAPIQPS).
    /// </summary>
    private const int MaxConcurrentPreemptions = 4;

    private readonly SemaphoreSlim _turns = new(MaxConcurrentPreemptions);

    private async Task PrepareCandidateInTurnAsync(PreemptionCandidate candidate, V1Pod preemptor, CancellationToken ct)
    {
        await _turns.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await PrepareCandidateAsync(candidate, preemptor, ct).ConfigureAwait(false);
        }
        finally
        {
            _turns.Release();
        }
    }

    private async Task PrepareCandidateAsync(PreemptionCandidate candidate, V1Pod preemptor, CancellationToken ct)
    {
        // The victims are preempted in parallel, as upstream's parallelizer does, not one API round after another.
        await Task.WhenAll(candidate.Victims.Select(victim => PreemptVictimAsync(victim, preemptor, candidate.NodeName, ct))).ConfigureAwait(false);

        // Lower-priority pods nominated to this node lose their nomination: the room is for the preemptor.
        var priority = preemptor.Spec?.Priority ?? 0;
        foreach (var p in _handle.Nominator.NominatedPodsForNode(candidate.NodeName))
        {
            if ((p.Spec?.Priority ?? 0) >= priority || p.Metadata.Uid == preemptor.Metadata.Uid) continue;
            _handle.Nominator.DeleteNominatedPodIfExists(p);
            try
            {
                var current = await _client.GetAsync<V1Pod>(p.Metadata.Name, p.Metadata.NamespaceProperty, ct).ConfigureAwait(false);
                if (current.Status is null || string.IsNullOrEmpty(current.Status.NominatedNodeName)) continue;
                current.Status.NominatedNodeName = null;
                await _client.UpdateStatusAsync(current, cancellationToken: ct).ConfigureAwait(false);
            }
            catch (KubeApiException)
            {
                // Best effort, as upstream: the pod's next attempt sets it again.
            }
        }
    }

    private async Task PreemptVictimAsync(V1Pod victim, V1Pod preemptor, string nodeName, CancellationToken ct)
    {
        // Graceful deletion has already started: another call is unnecessary (upstream skips it too).
        if (victim.Metadata.DeletionTimestamp is not null) return;

        // A victim still waiting on Permit is rejected instead of deleted.
        if (_handle.GetWaitingPod(victim.Metadata.Uid) is { } waiting)
        {
            waiting.Reject(PluginName, "preempted");
            return;
        }

        await MarkDisruptionTargetAsync(victim, ct).ConfigureAwait(false);
        try
        {
            await _client.DeleteAsync<V1Pod>(victim.Metadata.Name, victim.Metadata.NamespaceProperty, new DeleteOptions { PreconditionUid = victim.Metadata.Uid }, ct).ConfigureAwait(false);
        }
        catch (KubeApiException ex) when (ex is NotFoundException or ConflictException)
        {
            // Already gone.
        }

        // The event is written in the background, as upstream's event recorder does: the preemption is done without it.
        _ = RecordPreemptedEventAsync(victim, preemptor, nodeName, ct);
    }

    private async Task MarkDisruptionTargetAsync(V1Pod victim, CancellationToken ct)
    {
        // First from the cached object (no read; upstream patches without one); when it is stale, from a fresh read.
        if (!string.IsNullOrEmpty(victim.Metadata.ResourceVersion))
        {
            try
            {
                await _client.UpdateStatusAsync(WithDisruptionTarget(victim), cancellationToken: ct).ConfigureAwait(false);
                return;
            }
            catch (KubeApiException ex) when (ex is ConflictException)
            {
            }
            catch (KubeApiException)
            {
                return;
            }
        }

        try
        {
            var current = await _client.GetAsync<V1Pod>(victim.Metadata.Name, victim.Metadata.NamespaceProperty, ct).ConfigureAwait(false);
            if (current.Metadata.Uid != victim.Metadata.Uid) return;
            await _client.UpdateStatusAsync(WithDisruptionTarget(current), cancellationToken: ct).ConfigureAwait(false);
        }
        catch (KubeApiException)
        {
            // Best effort: the deletion is what matters.
        }
    }

    /// <summary>A shallow copy of the pod whose status has the DisruptionTarget condition of a preemption victim.</summary>
    private V1Pod WithDisruptionTarget(V1Pod pod)
    {
        var copy = Internal.PodCopy.WithStatus(pod);
        var conditions = (copy.Status.Conditions ?? []).Where(c => c.Type != "DisruptionTarget").ToList();
        conditions.Add(new V1PodCondition
        {
            Type = "DisruptionTarget",
            Status = "True",
            Reason = "PreemptionByScheduler",
            Message = $"{_handle.SchedulerName}: preempting to accommodate a higher priority pod",
            LastTransitionTime = _time.GetUtcNow().UtcDateTime,
        });
        copy.Status.Conditions = conditions;
        return copy;
    }

    private async Task RecordPreemptedEventAsync(V1Pod victim, V1Pod preemptor, string node, CancellationToken ct)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        try
        {
            await _client.CreateAsync(new Corev1Event
            {
                ApiVersion = "v1",
                Kind = "Event",
                Metadata = new V1ObjectMeta { GenerateName = victim.Metadata.Name + ".", NamespaceProperty = victim.Metadata.NamespaceProperty },
                InvolvedObject = new V1ObjectReference { ApiVersion = "v1", Kind = "Pod", Name = victim.Metadata.Name, NamespaceProperty = victim.Metadata.NamespaceProperty, Uid = victim.Metadata.Uid },
                Reason = "Preempted",
                Message = $"Preempted by pod {preemptor.Metadata.Uid} on node {node}",
                Type = "Normal",
                Count = 1,
                FirstTimestamp = now,
                LastTimestamp = now,
                Source = new V1EventSource { Component = _handle.SchedulerName },
                ReportingComponent = _handle.SchedulerName,
            }, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is KubeApiException or OperationCanceledException)
        {
            // Events are best effort.
        }
    }

    private static DateTimeOffset StartTime(V1Pod p) =>
        p.Status?.StartTime is { } s ? new DateTimeOffset(DateTime.SpecifyKind(s, DateTimeKind.Utc)) :
        p.Metadata.CreationTimestamp is { } c ? new DateTimeOffset(DateTime.SpecifyKind(c, DateTimeKind.Utc)) : DateTimeOffset.MaxValue;

    private static DateTimeOffset EarliestStartOfHighestPriority(IReadOnlyList<V1Pod> victims)
    {
        if (victims.Count == 0) return DateTimeOffset.MaxValue;
        var max = int.MinValue;
        foreach (var v in victims) max = Math.Max(max, v.Spec?.Priority ?? 0);
        var earliest = DateTimeOffset.MaxValue;
        foreach (var v in victims)
            if ((v.Spec?.Priority ?? 0) == max && StartTime(v) is var t && t < earliest) earliest = t;
        return earliest;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Preempting for pod {Namespace}/{Pod} on node {Node}: {Victims} victim(s)")]
    private partial void LogPreempting(string @namespace, string pod, string node, int victims);
}
