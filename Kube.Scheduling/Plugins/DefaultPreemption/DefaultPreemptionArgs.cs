namespace Kube.Scheduling.Plugins.DefaultPreemption;

/// <summary>DefaultPreemption's arguments (upstream's DefaultPreemptionArgs).</summary>
public sealed record DefaultPreemptionArgs
{
    /// <summary>The least share of nodes to try as candidates, 0..100. Default 10.</summary>
    public int MinCandidateNodesPercentage { get; init; } = 10;

    /// <summary>The least number of nodes to try as candidates. Default 100.</summary>
    public int MinCandidateNodesAbsolute { get; init; } = 100;
}
