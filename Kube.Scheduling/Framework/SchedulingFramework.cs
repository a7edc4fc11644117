using k8s.Models;
using Kube.Scheduling.Internal;
using Microsoft.Extensions.DependencyInjection;

namespace Kube.Scheduling.Framework;

/// <summary>
/// The plugins of one profile, run extension point by extension point. Built from the plugin registry; usable on its
/// own by custom orchestrators (run Filter and Score over <see cref="NodeInfo"/>s without the rest of the scheduler).
/// </summary>
public sealed class SchedulingFramework
{
    private readonly List<IPreEnqueuePlugin> _preEnqueue = [];
    private readonly List<IPreFilterPlugin> _preFilter = [];
    private readonly List<(IPreFilterPlugin Plugin, IPreFilterExtensions Extensions)> _preFilterExtensions = [];
    private readonly List<IFilterPlugin> _filter = [];
    private readonly List<IPostFilterPlugin> _postFilter = [];
    private readonly List<IPreScorePlugin> _preScore = [];
    private readonly List<(IScorePlugin Plugin, int Weight)> _score = [];
    private readonly List<IReservePlugin> _reserve = [];
    private readonly List<IPermitPlugin> _permit = [];
    private readonly List<IPreBindPlugin> _preBind = [];
    private readonly List<IBindPlugin> _bind = [];
    private readonly List<IPostBindPlugin> _postBind = [];
    private readonly Dictionary<string, IReadOnlyList<ClusterEventWithHint>> _events = new(StringComparer.Ordinal);
    private readonly FrameworkHandle _handle;
    private readonly TimeProvider _time;

    /// <summary>
    /// A framework over plugin instances, in order, with score weights by plugin name (default 1). Each plugin runs at
    /// every extension point it implements, unless <paramref name="enabledAt"/> (plugin, point name) says otherwise.
    /// </summary>
    public SchedulingFramework(string schedulerName, IEnumerable<IPlugin> plugins, IReadOnlyDictionary<string, int>? weights = null,
        Func<IPlugin, string, bool>? enabledAt = null, TimeProvider? time = null)
        : this(new FrameworkHandle(schedulerName, new PodNominator()), plugins, weights, enabledAt, time)
    {
    }

    internal SchedulingFramework(FrameworkHandle handle, IEnumerable<IPlugin> plugins, IReadOnlyDictionary<string, int>? weights,
        Func<IPlugin, string, bool>? enabledAt, TimeProvider? time)
    {
        ArgumentNullException.ThrowIfNull(plugins);
        _handle = handle;
        _handle.Framework = this;
        _time = time ?? TimeProvider.System;
        SchedulerName = handle.SchedulerName;
        var all = plugins.ToList();
        Plugins = all;
        bool At(IPlugin p, string point) => enabledAt is null || enabledAt(p, point);
        foreach (var p in all)
        {
            if (p is IEnqueueExtensions ee) _events[p.Name] = ee.EventsToRegister();
            if (p is IPreEnqueuePlugin pe && At(p, ExtensionPoints.PreEnqueue)) _preEnqueue.Add(pe);
            if (p is IQueueSortPlugin qs && At(p, ExtensionPoints.QueueSort)) QueueSort ??= qs;
            if (p is IPreFilterPlugin pf && At(p, ExtensionPoints.PreFilter))
            {
                _preFilter.Add(pf);
                if (pf is IPreFilterExtensions ext) _preFilterExtensions.Add((pf, ext));
            }
            if (p is IFilterPlugin f && At(p, ExtensionPoints.Filter)) _filter.Add(f);
            if (p is IPostFilterPlugin post && At(p, ExtensionPoints.PostFilter)) _postFilter.Add(post);
            if (p is IPreScorePlugin ps && At(p, ExtensionPoints.PreScore)) _preScore.Add(ps);
            if (p is IScorePlugin s && At(p, ExtensionPoints.Score)) _score.Add((s, weights is not null && weights.TryGetValue(p.Name, out var w) ? w : 1));
            if (p is IReservePlugin r && At(p, ExtensionPoints.Reserve)) _reserve.Add(r);
            if (p is IPermitPlugin pm && At(p, ExtensionPoints.Permit)) _permit.Add(pm);
            if (p is IPreBindPlugin pb && At(p, ExtensionPoints.PreBind)) _preBind.Add(pb);
            if (p is IBindPlugin b && At(p, ExtensionPoints.Bind)) _bind.Add(b);
            if (p is IPostBindPlugin pob && At(p, ExtensionPoints.PostBind)) _postBind.Add(pob);
        }
    }

    public string SchedulerName { get; }

    public IReadOnlyList<IPlugin> Plugins { get; }

    /// <summary>The handle the profile's plugins got: waiting pods, snapshot, nominator.</summary>
    public IFrameworkHandle Handle => _handle;

    /// <summary>This profile's percentageOfNodesToScore, when the profile sets one.</summary>
    public int? PercentageOfNodesToScore { get; init; }

    /// <summary>The profile's QueueSort plugin (the first enabled), or null for the queue's default order.</summary>
    public IQueueSortPlugin? QueueSort { get; }

    /// <summary>Whether the profile has a bind plugin.</summary>
    public bool HasBindPlugin => _bind.Count > 0;

    /// <summary>Whether the profile has PostFilter plugins.</summary>
    public bool HasPostFilterPlugins => _postFilter.Count > 0;

    /// <summary>The plugins enabled at <paramref name="point"/> (an <see cref="ExtensionPoints"/> name), in order.</summary>
    public IReadOnlyList<string> PluginsAt(string point) => point switch
    {
        ExtensionPoints.PreEnqueue => _preEnqueue.Select(p => p.Name).ToList(),
        ExtensionPoints.QueueSort => QueueSort is null ? [] : [QueueSort.Name],
        ExtensionPoints.PreFilter => _preFilter.Select(p => p.Name).ToList(),
        ExtensionPoints.Filter => _filter.Select(p => p.Name).ToList(),
        ExtensionPoints.PostFilter => _postFilter.Select(p => p.Name).ToList(),
        ExtensionPoints.PreScore => _preScore.Select(p => p.Name).ToList(),
        ExtensionPoints.Score => _score.Select(p => p.Plugin.Name).ToList(),
        ExtensionPoints.Reserve => _reserve.Select(p => p.Name).ToList(),
        ExtensionPoints.Permit => _permit.Select(p => p.Name).ToList(),
        ExtensionPoints.PreBind => _preBind.Select(p => p.Name).ToList(),
        ExtensionPoints.Bind => _bind.Select(p => p.Name).ToList(),
        ExtensionPoints.PostBind => _postBind.Select(p => p.Name).ToList(),
        _ => [],
    };

    /// <summary>The score weight of a Score plugin in this profile, or null when it does not score.</summary>
    public int? ScoreWeight(string plugin) => _score.Where(s => s.Plugin.Name == plugin).Select(s => (int?)s.Weight).FirstOrDefault();

    /// <summary>Builds the framework of a profile from the registry, creating each plugin through <paramref name="services"/>.</summary>
    public static SchedulingFramework Create(SchedulerProfile profile, IEnumerable<PluginRegistration> registry, IServiceProvider services) =>
        Create(profile, registry, services, new PodNominator(), TimeProvider.System);

    internal static SchedulingFramework Create(SchedulerProfile profile, IEnumerable<PluginRegistration> registry, IServiceProvider services, IPodNominator nominator, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(registry);
        var regs = registry.GroupBy(r => r.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
        var defaults = (profile.Plugins ?? registry.Select(r => r.Name).Distinct(StringComparer.Ordinal).ToList())
            .Where(n => !profile.Disabled.Contains(n)).ToList();
        var extra = profile.ExtensionPoints.Values.SelectMany(s => s.Enabled.Select(e => e.Name)).Where(n => !defaults.Contains(n)).Distinct(StringComparer.Ordinal);
        var handle = new FrameworkHandle(profile.SchedulerName, nominator);
        var plugins = new List<IPlugin>();
        var weights = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var name in defaults.Concat(extra))
        {
            if (!regs.TryGetValue(name, out var reg))
                throw new InvalidOperationException($"Profile \"{profile.SchedulerName}\" names plugin \"{name}\", which is not registered.");
            var args = new List<object> { handle };
            if (profile.PluginArgs.TryGetValue(name, out var a)) args.Add(a);
            var plugin = (IPlugin)CreatePlugin(services, reg.PluginType, args);
            plugins.Add(plugin);
            var pointWeight = profile.ExtensionPoints.TryGetValue(ExtensionPoints.Score, out var sc) ? sc.Enabled.FirstOrDefault(e => e.Name == name).Weight : null;
            weights[plugin.Name] = pointWeight ?? (profile.ScoreWeights.TryGetValue(name, out var w) ? w : reg.Weight);
        }

        var defaultSet = defaults.ToHashSet(StringComparer.Ordinal);
        bool EnabledAt(IPlugin p, string point)
        {
            if (!profile.ExtensionPoints.TryGetValue(point, out var set)) return defaultSet.Contains(p.Name);
            if (set.Enabled.Any(e => e.Name == p.Name)) return true;
            return defaultSet.Contains(p.Name) && !set.Disabled.Contains("*") && !set.Disabled.Contains(p.Name);
        }

        return new SchedulingFramework(handle, plugins, weights, EnabledAt, time) { PercentageOfNodesToScore = profile.PercentageOfNodesToScore };
    }

    /// <summary>
    /// Creates a plugin through DI; the handle and the plugin's args are passed to the constructor parameters of their
    /// types when it has such parameters.
    /// </summary>
    private static object CreatePlugin(IServiceProvider services, Type type, List<object> args)
    {
        var ctors = type.GetConstructors();
        var ctor = ctors.FirstOrDefault(c => c.IsDefined(typeof(ActivatorUtilitiesConstructorAttribute), false))
            ?? ctors.OrderByDescending(c => c.GetParameters().Length).FirstOrDefault();
        var parameters = ctor?.GetParameters() ?? [];
        var usable = args.Where(a => parameters.Any(p => p.ParameterType.IsInstanceOfType(a))).ToArray();
        var extraArgs = args.Where(a => !usable.Contains(a)).ToList();
        if (extraArgs.Count > 0 && extraArgs.Any(a => a is not IFrameworkHandle))
            throw new InvalidOperationException($"Plugin {type.Name} takes no argument of type {extraArgs.First(a => a is not IFrameworkHandle).GetType().Name}.");
        return ActivatorUtilities.CreateInstance(services, type, usable);
    }

    /// <summary>
    /// Queueing hints: whether <paramref name="evt"/> may make the pod (rejected by <see cref="Queue.QueuedPodInfo.UnschedulablePlugins"/>)
    /// schedulable. True for wildcard events, for pods no plugin rejected, and for plugins without
    /// <see cref="IEnqueueExtensions"/>; otherwise true when a registration of a rejecting plugin matches and its hint
    /// (if any) says Queue. A hint that throws counts as Queue.
    /// </summary>
    public bool IsWorthRequeuing(V1Pod pod, IReadOnlySet<string> unschedulablePlugins, ClusterEvent evt, object? oldObj, object? newObj)
    {
        ArgumentNullException.ThrowIfNull(unschedulablePlugins);
        if (evt.Resource == EventResource.WildCard || unschedulablePlugins.Count == 0) return true;
        foreach (var name in unschedulablePlugins)
        {
            if (!_events.TryGetValue(name, out var regs)) return true;
            foreach (var reg in regs)
            {
                if (!reg.Event.Matches(evt)) continue;
                if (reg.Hint is null) return true;
                try
                {
                    if (reg.Hint(pod, oldObj, newObj) == QueueingHint.Queue) return true;
                }
                catch (Exception)
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Runs the PreEnqueue plugins; the first that does not succeed keeps the pod out of the queue.</summary>
    public Status RunPreEnqueue(V1Pod pod)
    {
        foreach (var p in _preEnqueue)
        {
            var s = Safe(() => p.PreEnqueue(pod)).WithPlugin(p.Name);
            if (!s.IsSuccess) return s;
        }

        return Status.Success;
    }

    /// <summary>Runs the PreFilter plugins; those returning Skip have their Filter skipped this cycle.</summary>
    public Status RunPreFilter(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> nodes)
    {
        ArgumentNullException.ThrowIfNull(state);
        _handle.Snapshot = nodes;
        HashSet<string>? skip = null;
        foreach (var p in _preFilter)
        {
            var s = Safe(() => p.PreFilter(state, pod, nodes)).WithPlugin(p.Name);
            if (s.IsSkip)
            {
                (skip ??= new HashSet<string>(StringComparer.Ordinal)).Add(p.Name);
                continue;
            }

            if (!s.IsSuccess) return s;
        }

        state.SkipFilterPlugins = skip;
        // The filters to run, decided once per cycle rather than by a set lookup per node and plugin.
        state.FilterPlugins = skip is null ? null : _filter.Where(f => !skip.Contains(f.Name)).ToArray();
        return Status.Success;
    }

    /// <summary>Runs the PreFilterExtensions AddPod of the (not skipped) PreFilter plugins.</summary>
    public Status RunPreFilterExtensionAddPod(CycleState state, V1Pod podToSchedule, V1Pod podToAdd, NodeInfo nodeInfo)
    {
        ArgumentNullException.ThrowIfNull(state);
        return RunPreFilterExtensions(state, podToSchedule, podToAdd, nodeInfo, add: true);
    }

    /// <summary>Runs the PreFilterExtensions RemovePod of the (not skipped) PreFilter plugins.</summary>
    public Status RunPreFilterExtensionRemovePod(CycleState state, V1Pod podToSchedule, V1Pod podToRemove, NodeInfo nodeInfo)
    {
        ArgumentNullException.ThrowIfNull(state);
        return RunPreFilterExtensions(state, podToSchedule, podToRemove, nodeInfo, add: false);
    }

    /// <summary>
    /// AddPod or RemovePod of the PreFilter plugins with extensions whose PreFilter did not skip, until one fails. Called per
    /// pod and node by preemption's dry runs and by Filter with nominated pods: no closure or list per call.
    /// </summary>
    private Status RunPreFilterExtensions(CycleState state, V1Pod podToSchedule, V1Pod other, NodeInfo nodeInfo, bool add)
    {
        var skip = state.SkipFilterPlugins;
        foreach (var (p, ext) in _preFilterExtensions)
        {
            if (skip is not null && skip.Contains(p.Name)) continue;
            Status s;
            try
            {
                s = add ? ext.AddPod(state, podToSchedule, other, nodeInfo) : ext.RemovePod(state, podToSchedule, other, nodeInfo);
            }
            catch (Exception ex)
            {
                s = Status.FromException(ex);
            }

            if (!s.IsSuccess) return s.WithPlugin(p.Name);
        }

        return Status.Success;
    }

    /// <summary>Runs the filters on one node; the first that rejects decides.</summary>
    public Status RunFilter(CycleState state, V1Pod pod, NodeInfo node)
    {
        // The hottest loop of a cycle (nodes × plugins): no closure or lookup per call.
        if (state?.FilterPlugins is { } plugins)
        {
            foreach (var p in plugins)
            {
                var s = RunOneFilter(p, state, pod, node);
                if (s is not null) return s;
            }

            return Status.Success;
        }

        var skip = state?.SkipFilterPlugins;
        foreach (var p in _filter)
        {
            if (skip is not null && skip.Contains(p.Name)) continue;
            var s = RunOneFilter(p, state!, pod, node);
            if (s is not null) return s;
        }

        return Status.Success;
    }

    /// <summary>One filter: null when it passes (or skips), else its status naming the plugin.</summary>
    private static Status? RunOneFilter(IFilterPlugin p, CycleState state, V1Pod pod, NodeInfo node)
    {
        Status s;
        try
        {
            s = p.Filter(state, pod, node);
        }
        catch (Exception ex)
        {
            s = Status.FromException(ex);
        }

        return !s.IsSuccess && !s.IsSkip ? s.WithPlugin(p.Name) : null;
    }

    /// <summary>
    /// Upstream's RunFilterPluginsWithNominatedPods: when pods of equal or higher priority are nominated to the node, the
    /// filters must pass both with them added (so their room stays free) and without them (so affinity to them is not
    /// assumed).
    /// </summary>
    public Status RunFilterWithNominatedPods(CycleState state, V1Pod pod, NodeInfo node)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(node);
        if (_handle.Nominator is PodNominator { Count: 0 }) return RunFilter(state, pod, node);
        var nominated = _handle.Nominator.NominatedPodsForNode(node.Name);
        if (nominated.Count == 0) return RunFilter(state, pod, node);
        var priority = pod.Spec?.Priority ?? 0;
        CycleState? withState = null;
        NodeInfo? withNode = null;
        foreach (var n in nominated)
        {
            if (n.Metadata.Uid == pod.Metadata.Uid || (n.Spec?.Priority ?? 0) < priority) continue;
            withState ??= state.Clone();
            withNode ??= node.Clone();
            withNode.AddPod(n);
            var s = RunPreFilterExtensionAddPod(withState, pod, n, withNode);
            if (!s.IsSuccess) return s;
        }

        if (withNode is null) return RunFilter(state, pod, node);
        var first = RunFilter(withState!, pod, withNode);
        return first.IsSuccess ? RunFilter(state, pod, node) : first;
    }

    /// <summary>
    /// <see cref="RunFilterWithNominatedPods"/>'s verdict for a simulation that owns <paramref name="state"/> and
    /// <paramref name="node"/> (preemption's dry run, which has copied both): the nominated pods are added to them for the
    /// first pass and removed again, instead of copying them once more per check. Null when an AddPod extension failed, so
    /// that the copies can no longer be trusted to be restored (the caller starts over with fresh copies).
    /// </summary>
    internal bool? FitsWithNominatedPodsInPlace(CycleState state, V1Pod pod, NodeInfo node)
    {
        var nominated = _handle.Nominator is PodNominator { Count: 0 } ? [] : _handle.Nominator.NominatedPodsForNode(node.Name);
        var priority = pod.Spec?.Priority ?? 0;
        var added = 0;
        var fits = true;
        for (var i = 0; i < nominated.Count; i++)
        {
            var n = nominated[i];
            if (n.Metadata.Uid == pod.Metadata.Uid || (n.Spec?.Priority ?? 0) < priority) continue;
            node.AddPod(n);
            added++;
            if (!RunPreFilterExtensionAddPod(state, pod, n, node).IsSuccess) return null;
        }

        if (added > 0) fits = RunFilter(state, pod, node).IsSuccess;
        for (var i = nominated.Count - 1; i >= 0 && added > 0; i--)
        {
            var n = nominated[i];
            if (n.Metadata.Uid == pod.Metadata.Uid || (n.Spec?.Priority ?? 0) < priority) continue;
            node.RemovePod(n.Metadata.Uid);
            if (!RunPreFilterExtensionRemovePod(state, pod, n, node).IsSuccess) return null;
            added--;
        }

        return fits && RunFilter(state, pod, node).IsSuccess;
    }

    /// <summary>Runs the PostFilter plugins until one succeeds (nominates a node).</summary>
    public async Task<PostFilterResult> RunPostFilterAsync(CycleState state, V1Pod pod, IReadOnlyDictionary<string, Status> filtered, CancellationToken cancellationToken)
    {
        var last = PostFilterResult.Unschedulable;
        foreach (var p in _postFilter)
        {
            PostFilterResult r;
            try
            {
                r = await p.PostFilterAsync(state, pod, filtered, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                r = new PostFilterResult(null, Status.FromException(ex));
            }

            if (r.Status.IsSuccess) return r;
            last = r with { Status = r.Status.WithPlugin(p.Name) };
            if (r.Status.Code == StatusCode.Error) return last;
        }

        return last;
    }

    /// <summary>Runs the PreScore plugins over the feasible nodes; those returning Skip are not scored this cycle.</summary>
    public Status RunPreScore(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> feasibleNodes)
    {
        ArgumentNullException.ThrowIfNull(state);
        HashSet<string>? skip = null;
        foreach (var p in _preScore)
        {
            var s = Safe(() => p.PreScore(state, pod, feasibleNodes)).WithPlugin(p.Name);
            if (s.IsSkip)
            {
                (skip ??= new HashSet<string>(StringComparer.Ordinal)).Add(p.Name);
                continue;
            }

            if (!s.IsSuccess) return s;
        }

        state.SkipScorePlugins = skip;
        return Status.Success;
    }

    /// <summary>The weighted, summed scores of the nodes. Plugins score the nodes in parallel when there are many.</summary>
    public IReadOnlyDictionary<string, long> RunScore(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        var total = RunScoreTotals(state, pod, nodes, ParallelScoreDegree);
        var result = new Dictionary<string, long>(nodes.Count, StringComparer.Ordinal);
        for (var i = 0; i < nodes.Count; i++) result[nodes[i].Name] = total[i];
        return result;
    }

    /// <summary>
    /// The weighted, summed score of each node, by index. As upstream, one parallel pass over the nodes runs every Score
    /// plugin on each node, then each plugin normalizes its scores; at most <paramref name="parallelism"/> workers.
    /// </summary>
    internal long[] RunScoreTotals(CycleState? state, V1Pod pod, IReadOnlyList<NodeInfo> nodes, int parallelism)
    {
        var skip = state?.SkipScorePlugins;
        var plugins = skip is null ? _score : _score.Where(s => !skip.Contains(s.Plugin.Name)).ToList();
        // Rented rows, handed to NormalizeScore as segments of exactly the nodes' length.
        var scores = new NodeScore[plugins.Count][];
        for (var k = 0; k < plugins.Count; k++) scores[k] = System.Buffers.ArrayPool<NodeScore>.Shared.Rent(nodes.Count);
        try
        {
            return SumScores(state, pod, nodes, parallelism, plugins, scores);
        }
        finally
        {
            foreach (var row in scores) System.Buffers.ArrayPool<NodeScore>.Shared.Return(row, clearArray: true);
        }
    }

    private static long[] SumScores(CycleState? state, V1Pod pod, IReadOnlyList<NodeInfo> nodes, int parallelism, List<(IScorePlugin Plugin, int Weight)> plugins, NodeScore[][] scores)
    {
        Status? failed = null;
        string? failedPlugin = null;
        void ScoreNode(int i)
        {
            var node = nodes[i];
            for (var k = 0; k < plugins.Count; k++)
            {
                var (score, s) = plugins[k].Plugin.Score(state!, pod, node);
                if (!s.IsSuccess && failed is null)
                {
                    failed = s;
                    failedPlugin = plugins[k].Plugin.Name;
                }

                scores[k][i] = new NodeScore(node.Name, score);
            }
        }

        if (parallelism > 1 && nodes.Count * plugins.Count >= ParallelScoreThreshold)
            Parallel.For(0, nodes.Count, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, ScoreNode);
        else
            for (var i = 0; i < nodes.Count; i++) ScoreNode(i);
        if (failed is not null) throw new InvalidOperationException($"Score plugin {failedPlugin} failed: {failed.Message}", failed.Error);

        var total = new long[nodes.Count];
        for (var k = 0; k < plugins.Count; k++)
        {
            var (p, weight) = plugins[k];
            var ns = p.NormalizeScore(state!, pod, new ArraySegment<NodeScore>(scores[k], 0, nodes.Count));
            if (!ns.IsSuccess) throw new InvalidOperationException($"NormalizeScore of plugin {p.Name} failed: {ns.Message}", ns.Error);
            var row = scores[k];
            for (var i = 0; i < nodes.Count; i++)
            {
                var s = row[i];
                if (s.Score is < IScorePlugin.MinNodeScore or > IScorePlugin.MaxNodeScore)
                    throw new InvalidOperationException($"Plugin {p.Name} scored node {s.Name} {s.Score}, outside 0..100.");
                total[i] += s.Score * weight;
            }
        }

        return total;
    }

    /// <summary>Workers for parallel Score and Filter: no more than the machine has cores (upstream's 16 goroutines are cheap; threads are not).</summary>
    internal static int ParallelScoreDegree => Environment.ProcessorCount;

    /// <summary>From this many (node, plugin) scores on (each well under a microsecond), Score runs in parallel over nodes.</summary>
    private const int ParallelScoreThreshold = 16384;

    public Status RunReserve(CycleState state, V1Pod pod, string nodeName)
    {
        foreach (var p in _reserve)
        {
            var s = Safe(() => p.Reserve(state, pod, nodeName)).WithPlugin(p.Name);
            if (!s.IsSuccess) return s;
        }

        return Status.Success;
    }

    /// <summary>Runs Unreserve in reverse order.</summary>
    public void RunUnreserve(CycleState state, V1Pod pod, string nodeName)
    {
        for (var i = _reserve.Count - 1; i >= 0; i--)
        {
            try
            {
                _reserve[i].Unreserve(state, pod, nodeName);
            }
            catch (Exception)
            {
                // Unreserve is best effort and must not stop the others.
            }
        }
    }

    /// <summary>
    /// Runs the Permit plugins: the first rejection or error decides; when some return Wait (and none rejects), the pod
    /// becomes a waiting pod (visible through <see cref="IFrameworkHandle.GetWaitingPod"/>) and Wait is returned.
    /// </summary>
    public Status RunPermit(CycleState state, V1Pod pod, string nodeName)
    {
        ArgumentNullException.ThrowIfNull(pod);
        Dictionary<string, TimeSpan>? waits = null;
        foreach (var p in _permit)
        {
            (Status Status, TimeSpan Timeout) r;
            try
            {
                r = p.Permit(state, pod, nodeName);
            }
            catch (Exception ex)
            {
                r = (Status.FromException(ex), TimeSpan.Zero);
            }

            var s = r.Status.WithPlugin(p.Name);
            if (s.Code == StatusCode.Wait)
            {
                (waits ??= new Dictionary<string, TimeSpan>(StringComparer.Ordinal))[p.Name] = r.Timeout <= TimeSpan.Zero ? TimeSpan.Zero : r.Timeout;
                continue;
            }

            if (!s.IsSuccess && !s.IsSkip) return s;
        }

        if (waits is null) return Status.Success;
        var waiting = new WaitingPod(pod, nodeName, waits, _time);
        _handle.Waiting[pod.Metadata.Uid] = waiting;
        return new Status(StatusCode.Wait, [], waits.Keys.First());
    }

    /// <summary>Waits until a waiting pod is allowed or rejected; Success at once when the pod is not waiting.</summary>
    public async Task<Status> WaitOnPermitAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pod);
        if (!_handle.Waiting.TryGetValue(pod.Metadata.Uid, out var waiting)) return Status.Success;
        try
        {
            return await waiting.Result.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _handle.Waiting.TryRemove(new KeyValuePair<string, WaitingPod>(pod.Metadata.Uid, waiting));
            waiting.Dispose();
        }
    }

    /// <summary>Runs the PreBind plugins in order; the first failure stops the binding.</summary>
    public async Task<Status> RunPreBindAsync(CycleState state, V1Pod pod, string nodeName, CancellationToken cancellationToken)
    {
        foreach (var p in _preBind)
        {
            Status s;
            try
            {
                s = await p.PreBindAsync(state, pod, nodeName, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                s = Status.FromException(ex);
            }

            if (!s.IsSuccess && !s.IsSkip) return s.WithPlugin(p.Name);
        }

        return Status.Success;
    }

    /// <summary>Runs the bind plugins until one does not skip.</summary>
    public async Task<Status> RunBindAsync(CycleState state, V1Pod pod, string nodeName, CancellationToken cancellationToken)
    {
        foreach (var p in _bind)
        {
            Status s;
            try
            {
                s = await p.BindAsync(state, pod, nodeName, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                s = Status.FromException(ex);
            }

            if (!s.IsSkip) return s.WithPlugin(p.Name);
        }

        return new Status(StatusCode.Error, ["no bind plugin bound the pod"]);
    }

    /// <summary>Runs the PostBind plugins (informational; failures are ignored).</summary>
    public void RunPostBind(CycleState state, V1Pod pod, string nodeName)
    {
        foreach (var p in _postBind)
        {
            try
            {
                p.PostBind(state, pod, nodeName);
            }
            catch (Exception)
            {
                // PostBind is informational.
            }
        }
    }

    private static Status Safe(Func<Status> run)
    {
        try
        {
            return run();
        }
        catch (Exception ex)
        {
            return Status.FromException(ex);
        }
    }
}
