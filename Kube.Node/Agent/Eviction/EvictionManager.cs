using k8s.Models;
using Kube.Core.Events;
using Kube.Node.Runtime;
using Kube.Node.Stats;
using Microsoft.Extensions.Logging;

namespace Kube.Node.Agent.Eviction;

/// <summary>
/// The eviction manager's I/O shell: every monitoring interval it observes memory.available (capacity minus working set),
/// nodefs/imagefs.available and inodesFree (statvfs of the data directory) from the Summary, lets the
/// <see cref="EvictionDecider"/> judge them, reports MemoryPressure/DiskPressure, and while a threshold is met evicts one
/// pod per round, ranked by <see cref="EvictionRanking"/>. Static, mirror and system-critical pods are never evicted.
/// </summary>
internal sealed class EvictionManager(
    EvictionDecider decider,
    SummaryProvider summary,
    IContainerRuntime runtime,
    Func<IReadOnlyList<V1Pod>> activePods,
    Func<V1Pod, string, TimeSpan, Task> evict,
    int maxPodGracePeriodSeconds,
    TimeProvider time,
    ILogger logger,
    IEventRecorder? events = null)
{
    /// <summary>scheduling.SystemCriticalPriority: pods at or above it are never evicted.</summary>
    private const int SystemCriticalPriority = 2_000_000_000;

    private volatile IReadOnlySet<string> _pressure = new HashSet<string>();

    /// <summary>The node conditions under pressure after the last round (MemoryPressure, DiskPressure).</summary>
    public IReadOnlySet<string> Pressure => _pressure;

    /// <summary>Called when <see cref="Pressure"/> changed.</summary>
    public Action? PressureChanged { get; set; }

    /// <summary>One monitoring round; returns the pod evicted, if any.</summary>
    public async Task<V1Pod?> SynchronizeAsync(CancellationToken cancellationToken)
    {
        var stats = await summary.GetAsync(cancellationToken).ConfigureAwait(false);
        var observations = Observe(stats);
        var decision = decider.Observe(time.GetUtcNow(), observations);
        if (!decision.PressureConditions.SetEquals(_pressure))
        {
            logger.LogInformation("Node pressure conditions now [{Conditions}]", string.Join(", ", decision.PressureConditions.Order()));
            _pressure = decision.PressureConditions;
            PressureChanged?.Invoke();
        }

        if (decision.Met.Count == 0)
        {
            return null;
        }

        var (threshold, available, capacity) = decision.Met[0];
        var resource = threshold.Resource;
        logger.LogWarning("Eviction threshold met: {Signal} available {Available} < {Threshold}; attempting to reclaim {Resource}",
            threshold.Signal, EvictionThreshold.Format(available), EvictionThreshold.Format(threshold.Value(capacity)), resource);
        var pods = activePods().Where(p => !StaticPods.StaticPodManager.IsStatic(p) && !StaticPods.StaticPodManager.IsMirror(p) && (p.Spec?.Priority ?? 0) < SystemCriticalPriority).ToList();
        if (pods.Count == 0)
        {
            logger.LogWarning("Eviction: no pod can be evicted to reclaim {Resource}", resource);
            return null;
        }

        var candidates = resource == "memory" ? MemoryCandidates(pods, stats) : await DiskCandidatesAsync(pods, resource, cancellationToken).ConfigureAwait(false);
        var victim = EvictionRanking.Rank(candidates, resource)[0];
        var message = Message(threshold, available, capacity, victim, resource);
        var grace = threshold.IsHard ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(Math.Min(maxPodGracePeriodSeconds > 0 ? maxPodGracePeriodSeconds : long.MaxValue / 2,
            victim.Pod.Spec?.TerminationGracePeriodSeconds ?? 30));
        logger.LogWarning("Evicting pod {Namespace}/{Pod}: {Message}", victim.Pod.Metadata.NamespaceProperty, victim.Pod.Metadata.Name, message);
        events?.Record(victim.Pod, EventTypes.Warning, "Evicted", "Evicting", message);
        await evict(victim.Pod, message, grace).ConfigureAwait(false);
        return victim.Pod;
    }

    /// <summary>The signals from a Summary: (available, capacity) for each.</summary>
    internal static Dictionary<string, (ulong Available, ulong Capacity)> Observe(Summary stats)
    {
        var result = new Dictionary<string, (ulong Available, ulong Capacity)>(StringComparer.Ordinal);
        if (stats.Node.Memory is { AvailableBytes: { } memAvailable, WorkingSetBytes: { } workingSet })
        {
            result["memory.available"] = (memAvailable, memAvailable + workingSet);
        }

        if (stats.Node.Fs is { AvailableBytes: { } fsAvailable, CapacityBytes: { } fsCapacity } fs)
        {
            result["nodefs.available"] = result["imagefs.available"] = (fsAvailable, fsCapacity);
            if (fs is { InodesFree: { } inodesFree, Inodes: { } inodes })
            {
                result["nodefs.inodesFree"] = result["imagefs.inodesFree"] = (inodesFree, inodes);
            }
        }

        return result;
    }

    private static List<EvictionCandidate> MemoryCandidates(List<V1Pod> pods, Summary stats) =>
        pods.Select(p =>
        {
            var s = stats.Pods.FirstOrDefault(x => x.PodRef.Uid == p.Metadata.Uid);
            return new EvictionCandidate(p, s?.Memory?.WorkingSetBytes,
                s?.Containers.Where(c => c.Memory?.WorkingSetBytes is not null).ToDictionary(c => c.Name, c => c.Memory!.WorkingSetBytes!.Value) ?? []);
        }).ToList();

    /// <summary>Disk usage (bytes or inodes) of each pod's directory: its volumes, logs and files.</summary>
    private async Task<List<EvictionCandidate>> DiskCandidatesAsync(List<V1Pod> pods, string resource, CancellationToken cancellationToken)
    {
        var sandboxes = await runtime.ListPodSandboxesAsync(cancellationToken).ConfigureAwait(false);
        return pods.Select(p =>
        {
            var dir = sandboxes.FirstOrDefault(s => s.PodUid == p.Metadata.Uid)?.WorkingDirectory;
            ulong? usage = dir is null ? null : DirectoryUsage(dir, resource == "inodes");
            return new EvictionCandidate(p, usage, new Dictionary<string, ulong>());
        }).ToList();
    }

    private static ulong DirectoryUsage(string dir, bool inodes)
    {
        ulong total = 0;
        try
        {
            foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint }))
            {
                total += inodes ? 1 : entry is FileInfo f ? (ulong)f.Length : 0;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }

        return total;
    }

    /// <summary>Upstream's eviction message: "The node was low on resource: R. Threshold quantity: Q, available: A. " and one sentence per container above its request.</summary>
    internal static string Message(EvictionThreshold threshold, ulong available, ulong capacity, EvictionCandidate victim, string resource)
    {
        var message = $"The node was low on resource: {resource}. Threshold quantity: {EvictionThreshold.Format(threshold.Value(capacity))}, available: {EvictionThreshold.Format(available)}. ";
        if (resource == "memory")
        {
            foreach (var c in victim.Pod.Spec?.Containers ?? [])
            {
                var request = EvictionCandidate.ContainerRequest(c, resource);
                if (victim.ContainerUsage.TryGetValue(c.Name, out var used) && used > request)
                {
                    message += $"Container {c.Name} was using {EvictionThreshold.Format(used)}, request is {EvictionThreshold.Format(request)}, has larger consumption of {resource}. ";
                }
            }
        }

        return message;
    }
}
