namespace Kube.Scheduling.Plugins.NodeResourcesFit;

/// <summary>How NodeResourcesFit scores nodes (upstream's scoringStrategy.type).</summary>
public enum ScoringStrategyType
{
    /// <summary>The more of each resource stays free, the higher (spreads pods). Upstream's default.</summary>
    LeastAllocated,

    /// <summary>The more of each resource is used, the higher (packs pods).</summary>
    MostAllocated,

    /// <summary>A piecewise-linear function of utilization given by <see cref="NodeResourcesFitArgs.Shape"/>.</summary>
    RequestedToCapacityRatio,
}
