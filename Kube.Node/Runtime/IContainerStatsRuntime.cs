namespace Kube.Node.Runtime;

/// <summary>
/// A runtime that reports its running containers' CPU and memory use (CRI's ListContainerStats), feeding the kubelet
/// server's <c>/stats/summary</c> (and so <c>kubectl top</c>) and the eviction manager. Optional: without it pods are
/// listed with no usage.
/// </summary>
public interface IContainerStatsRuntime
{
    /// <summary>One sample per running container.</summary>
    Task<IReadOnlyList<ContainerUsage>> ListContainerUsageAsync(CancellationToken cancellationToken);
}
