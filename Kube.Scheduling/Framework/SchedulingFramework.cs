using k8s.Models;
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
    private readonly List<IFilterPlugin> _filter = [];
    private readonly List<IPostFilterPlugin> _postFilter = [];
    private readonly List<(IScorePlugin Plugin, int Weight)> _score = [];
    private readonly List<IReservePlugin> _reserve = [];
    private readonly List<IBindPlugin> _bind = [];

    /// <summary>A framework over plugin instances, in order, with score weights by plugin name (default 1).</summary>
    public SchedulingFramework(string schedulerName, IEnumerable<IPlugin> plugins, IReadOnlyDictionary<string, int>? weights = null)
    {
        ArgumentNullException.ThrowIfNull(plugins);
        SchedulerName = schedulerName;
        var all = plugins.ToList();
        Plugins = all;
        foreach (var p in all)
        {
            if (p is IPreEnqueuePlugin pe) _preEnqueue.Add(pe);
            if (p is IPreFilterPlugin pf) _preFilter.Add(pf);
            if (p is IFilterPlugin f) _filter.Add(f);
            if (p is IPostFilterPlugin post) _postFilter.Add(post);
            if (p is IScorePlugin s) _score.Add((s, weights is not null && weights.TryGetValue(p.Name, out var w) ? w : 1));
            if (p is IReservePlugin r) _reserve.Add(r);
            if (p is IBindPlugin b) _bind.Add(b);
        }
    }

    public string SchedulerName { get; }

    public IReadOnlyList<IPlugin> Plugins { get; }

    /// <summary>Builds the framework of a profile from the registry, creating each plugin through <paramref name="services"/>.</summary>
    public static SchedulingFramework Create(SchedulerProfile profile, IEnumerable<PluginRegistration> registry, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(registry);
        var regs = registry.GroupBy(r => r.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
        var names = profile.Plugins ?? registry.Select(r => r.Name).Distinct(StringComparer.Ordinal).ToList();
        var plugins = new List<IPlugin>();
        var weights = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var name in names.Where(n => !profile.Disabled.Contains(n)))
        {
            if (!regs.TryGetValue(name, out var reg))
                throw new InvalidOperationException($"Profile \"{profile.SchedulerName}\" names plugin \"{name}\", which is not registered.");
            var plugin = (IPlugin)ActivatorUtilities.CreateInstance(services, reg.PluginType);
            plugins.Add(plugin);
            weights[plugin.Name] = profile.ScoreWeights.TryGetValue(name, out var w) ? w : reg.Weight;
        }

        return new SchedulingFramework(profile.SchedulerName, plugins, weights);
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

    public Status RunPreFilter(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> nodes)
    {
        foreach (var p in _preFilter)
        {
            var s = Safe(() => p.PreFilter(state, pod, nodes)).WithPlugin(p.Name);
            if (s.IsSkip) continue;
            if (!s.IsSuccess) return s;
        }

        return Status.Success;
    }

    /// <summary>Runs the filters on one node; the first that rejects decides.</summary>
    public Status RunFilter(CycleState state, V1Pod pod, NodeInfo node)
    {
        foreach (var p in _filter)
        {
            var s = Safe(() => p.Filter(state, pod, node)).WithPlugin(p.Name);
            if (!s.IsSuccess && !s.IsSkip) return s;
        }

        return Status.Success;
    }

    public (string? NominatedNodeName, Status Status) RunPostFilter(CycleState state, V1Pod pod, IReadOnlyDictionary<string, Status> filtered)
    {
        var last = Status.Unschedulable();
        foreach (var p in _postFilter)
        {
            var (node, s) = p.PostFilter(state, pod, filtered);
            if (s.IsSuccess) return (node, s);
            last = s.WithPlugin(p.Name);
        }

        return (null, last);
    }

    /// <summary>The weighted, summed scores of the nodes.</summary>
    public IReadOnlyDictionary<string, long> RunScore(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> nodes)
    {
        var total = nodes.ToDictionary(n => n.Name, _ => 0L, StringComparer.Ordinal);
        foreach (var (p, weight) in _score)
        {
            var scores = new List<NodeScore>(nodes.Count);
            foreach (var n in nodes)
            {
                var (score, s) = p.Score(state, pod, n);
                if (!s.IsSuccess) throw new InvalidOperationException($"Score plugin {p.Name} failed on node {n.Name}: {s.Message}", s.Error);
                scores.Add(new NodeScore(n.Name, score));
            }

            var ns = p.NormalizeScore(state, pod, scores);
            if (!ns.IsSuccess) throw new InvalidOperationException($"NormalizeScore of plugin {p.Name} failed: {ns.Message}", ns.Error);
            foreach (var s in scores)
            {
                if (s.Score is < IScorePlugin.MinNodeScore or > IScorePlugin.MaxNodeScore)
                    throw new InvalidOperationException($"Plugin {p.Name} scored node {s.Name} {s.Score}, outside 0..100.");
                total[s.Name] += s.Score * weight;
            }
        }

        return total;
    }

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
        for (var i = _reserve.Count - 1; i >= 0; i--) _reserve[i].Unreserve(state, pod, nodeName);
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
