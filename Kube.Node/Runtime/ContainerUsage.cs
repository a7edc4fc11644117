namespace Kube.Node.Runtime;

/// <summary>
/// One sample of a running container's resource use, as CRI's ContainerStats reports it: cumulative CPU time and the
/// memory in use at <see cref="Timestamp"/>. Rates (nano-cores) are derived by the agent from successive samples.
/// </summary>
public sealed record ContainerUsage
{
    /// <summary>The container's id in its runtime.</summary>
    public required string ContainerId { get; init; }

    /// <summary>When the sample was taken.</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>Cumulative CPU time used by the container (all its processes, including reaped children), in nanoseconds.</summary>
    public ulong CpuUsageCoreNanoSeconds { get; init; }

    /// <summary>The runtime's own CPU rate in nano-cores when it computes one (CRI), else null.</summary>
    public ulong? CpuUsageNanoCores { get; init; }

    /// <summary>The working set (memory that cannot be reclaimed cheaply) in bytes.</summary>
    public ulong MemoryWorkingSetBytes { get; init; }

    /// <summary>All memory charged to the container in bytes, including page cache.</summary>
    public ulong MemoryUsageBytes { get; init; }

    /// <summary>Anonymous and swap-cache memory in bytes.</summary>
    public ulong MemoryRssBytes { get; init; }

    /// <summary>Minor page faults, when known.</summary>
    public ulong? PageFaults { get; init; }

    /// <summary>Major page faults, when known.</summary>
    public ulong? MajorPageFaults { get; init; }

    /// <summary>How many processes the container has, when known.</summary>
    public ulong? ProcessCount { get; init; }
}
