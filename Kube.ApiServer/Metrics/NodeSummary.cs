namespace Kube.ApiServer.Metrics;

/// <summary>One CPU and memory reading: cores in billionths, working set in bytes, and when it was taken.</summary>
internal sealed record UsageSample(ulong NanoCores, ulong WorkingSetBytes, DateTimeOffset Time);

/// <summary>A container's usage in a pod's summary.</summary>
internal sealed record ContainerUsageSample(string Name, UsageSample Usage);

/// <summary>The usage a node's kubelet reported for itself and for its pods, keyed by (namespace, name).</summary>
internal sealed record NodeSummary(
    string NodeName,
    UsageSample? Node,
    IReadOnlyDictionary<(string Namespace, string Name), IReadOnlyList<ContainerUsageSample>> Pods);
