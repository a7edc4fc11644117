namespace Kube.Scheduling.Plugins.NodeResourcesFit;

/// <summary>NodeResourcesFit's arguments (upstream's NodeResourcesFitArgs.scoringStrategy).</summary>
public sealed record NodeResourcesFitArgs
{
    /// <summary>The scoring strategy. Default <see cref="ScoringStrategyType.LeastAllocated"/>.</summary>
    public ScoringStrategyType Type { get; init; } = ScoringStrategyType.LeastAllocated;

    /// <summary>The scored resources and their weights. Default cpu and memory, weight 1 each.</summary>
    public IReadOnlyList<ResourceSpec> Resources { get; init; } = [new("cpu"), new("memory")];

    /// <summary>
    /// The RequestedToCapacityRatio shape, points sorted by utilization. Default (0, 10), (100, 0): like
    /// LeastAllocated.
    /// </summary>
    public IReadOnlyList<UtilizationShapePoint> Shape { get; init; } = [new(0, 10), new(100, 0)];
}
