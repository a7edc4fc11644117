using Kube.Node.Runtime;

namespace Kube.Node.Stats;

/// <summary>
/// Builds the Summary API document from the machine (/proc, statvfs of the data directory) and the runtime's container
/// samples (<see cref="IContainerStatsRuntime"/>). CPU rates come from the cumulative figures: over the time since the
/// previous sample at least <see cref="MinRateWindow"/> old, or on the first sample, over the container's (or the
/// machine's) whole life.
/// </summary>
internal sealed class SummaryProvider(string nodeName, string dataDir, IContainerRuntime runtime, TimeProvider time)
{
    /// <summary>Samples closer together than this keep the previous rate rather than divide a tiny delta.</summary>
    internal static readonly TimeSpan MinRateWindow = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private readonly Dictionary<string, RateState> _rates = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<Summary> GetAsync(CancellationToken cancellationToken)
    {
        // One build at a time: concurrent scrapes would otherwise race on the rate windows.
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await BuildAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<Summary> BuildAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var sandboxes = (await runtime.ListPodSandboxesAsync(cancellationToken).ConfigureAwait(false))
            .Where(s => s.State == PodSandboxState.Ready).ToList();
        var containers = await runtime.ListContainersAsync(null, cancellationToken).ConfigureAwait(false);
        var usage = runtime is IContainerStatsRuntime stats
            ? (await stats.ListContainerUsageAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(u => u.ContainerId, StringComparer.Ordinal)
            : null;

        var pods = new List<PodStats>(sandboxes.Count);
        lock (_lock)
        {
            foreach (var sandbox in sandboxes)
            {
                var list = new List<ContainerStats>();
                ulong processes = 0;
                foreach (var c in containers.Where(c => c.SandboxId == sandbox.Id && c.State == ContainerState.Running))
                {
                    if (usage is null || !usage.TryGetValue(c.Id, out var u))
                    {
                        continue;
                    }

                    processes += u.ProcessCount ?? 0;
                    list.Add(new ContainerStats
                    {
                        Name = c.Name,
                        StartTime = c.StartedAt ?? c.CreatedAt,
                        Cpu = new CpuStats
                        {
                            Time = u.Timestamp,
                            UsageCoreNanoSeconds = u.CpuUsageCoreNanoSeconds,
                            UsageNanoCores = u.CpuUsageNanoCores ?? Rate("c/" + c.Id, u.Timestamp, u.CpuUsageCoreNanoSeconds, c.StartedAt ?? c.CreatedAt),
                        },
                        Memory = new MemoryStats
                        {
                            Time = u.Timestamp,
                            UsageBytes = u.MemoryUsageBytes,
                            WorkingSetBytes = u.MemoryWorkingSetBytes,
                            RssBytes = u.MemoryRssBytes,
                            PageFaults = u.PageFaults,
                            MajorPageFaults = u.MajorPageFaults,
                        },
                        Logs = LogStats(c.LogPath, now),
                    });
                }

                pods.Add(new PodStats
                {
                    PodRef = new PodReference { Name = sandbox.PodName, Namespace = sandbox.PodNamespace, Uid = sandbox.PodUid },
                    StartTime = sandbox.CreatedAt,
                    Containers = list,
                    Cpu = usage is null ? null : new CpuStats
                    {
                        Time = now,
                        UsageNanoCores = Sum(list, c => c.Cpu?.UsageNanoCores),
                        UsageCoreNanoSeconds = Sum(list, c => c.Cpu?.UsageCoreNanoSeconds),
                    },
                    Memory = usage is null ? null : new MemoryStats
                    {
                        Time = now,
                        UsageBytes = Sum(list, c => c.Memory?.UsageBytes),
                        WorkingSetBytes = Sum(list, c => c.Memory?.WorkingSetBytes),
                        RssBytes = Sum(list, c => c.Memory?.RssBytes),
                        PageFaults = Sum(list, c => c.Memory?.PageFaults),
                        MajorPageFaults = Sum(list, c => c.Memory?.MajorPageFaults),
                    },
                    ProcessStats = usage is null ? null : new ProcessStats { ProcessCount = processes },
                });
            }

            var live = containers.Select(c => "c/" + c.Id).Append("node").ToHashSet(StringComparer.Ordinal);
            foreach (var key in _rates.Keys.Where(k => !live.Contains(k)).ToList())
            {
                _rates.Remove(key);
            }

            return new Summary { Node = NodeStatsAt(now), Pods = pods };
        }
    }

    private NodeStats NodeStatsAt(DateTimeOffset now)
    {
        var boot = NodeResources.BootTime(now);
        var cpu = NodeResources.CpuNanoseconds();
        var mem = NodeResources.MemInfo();
        var total = mem.GetValueOrDefault("MemTotal");
        var usage = total - Math.Min(total, mem.GetValueOrDefault("MemFree"));
        // As cAdvisor for the root cgroup: the working set is usage minus inactive file pages, available is capacity minus that.
        var workingSet = usage - Math.Min(usage, mem.GetValueOrDefault("Inactive(file)"));
        var (faults, majorFaults) = NodeResources.PageFaults();
        var fs = FsAt(dataDir, now);
        return new NodeStats
        {
            NodeName = nodeName,
            StartTime = boot,
            Cpu = new CpuStats { Time = now, UsageCoreNanoSeconds = cpu, UsageNanoCores = Rate("node", now, cpu, boot) },
            Memory = new MemoryStats
            {
                Time = now,
                AvailableBytes = total - Math.Min(total, workingSet),
                UsageBytes = usage,
                WorkingSetBytes = workingSet,
                RssBytes = mem.GetValueOrDefault("AnonPages"),
                PageFaults = faults,
                MajorPageFaults = majorFaults,
            },
            Fs = fs,
            Runtime = new RuntimeStats { ImageFs = fs },
        };
    }

    internal static FsStats? FsAt(string path, DateTimeOffset now)
    {
        var dir = path;
        while (!Directory.Exists(dir) && Path.GetDirectoryName(dir) is { } parent)
        {
            dir = parent;
        }

        return NodeResources.Filesystem(dir) is { } fs
            ? new FsStats
            {
                Time = now,
                CapacityBytes = fs.Capacity,
                AvailableBytes = fs.Available,
                UsedBytes = fs.Capacity - Math.Min(fs.Capacity, fs.Available),
                Inodes = fs.Inodes,
                InodesFree = fs.InodesFree,
                InodesUsed = fs.Inodes - Math.Min(fs.Inodes, fs.InodesFree),
            }
            : null;
    }

    /// <summary>Under the lock: the CPU rate in nano-cores for a cumulative figure, per the class's rules.</summary>
    private ulong? Rate(string key, DateTimeOffset at, ulong cumulative, DateTimeOffset startedAt)
    {
        if (_rates.TryGetValue(key, out var state))
        {
            var window = at - state.At;
            if (window < MinRateWindow)
            {
                return state.LastRate;
            }

            var rate = cumulative >= state.Cumulative ? PerSecond(cumulative - state.Cumulative, window) : 0;
            _rates[key] = new RateState(at, cumulative, rate);
            return rate;
        }

        var life = at - startedAt;
        var first = life > TimeSpan.Zero ? PerSecond(cumulative, life) : 0;
        _rates[key] = new RateState(at, cumulative, first);
        return first;
    }

    private static ulong PerSecond(ulong nanoseconds, TimeSpan window) => (ulong)(nanoseconds / window.TotalSeconds);

    private static FsStats? LogStats(string? logPath, DateTimeOffset now)
    {
        if (logPath is null)
        {
            return null;
        }

        try
        {
            var info = new FileInfo(logPath);
            return info.Exists ? new FsStats { Time = now, UsedBytes = (ulong)info.Length } : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static ulong? Sum(List<ContainerStats> list, Func<ContainerStats, ulong?> pick)
    {
        ulong total = 0;
        var any = false;
        foreach (var c in list)
        {
            if (pick(c) is { } v)
            {
                total += v;
                any = true;
            }
        }

        return any || list.Count == 0 ? total : null;
    }

    private sealed record RateState(DateTimeOffset At, ulong Cumulative, ulong? LastRate);
}
