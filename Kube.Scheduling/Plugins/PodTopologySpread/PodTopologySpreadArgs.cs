using k8s.Models;

namespace Kube.Scheduling.Plugins.PodTopologySpread;

/// <summary>PodTopologySpread's arguments (upstream's PodTopologySpreadArgs).</summary>
public sealed record PodTopologySpreadArgs
{
    /// <summary>
    /// The constraints used for pods that have none (their label selector is ignored and replaced by one built from the
    /// pod). Default upstream's system defaults: <c>topology.kubernetes.io/zone</c> maxSkew 5 and
    /// <c>kubernetes.io/hostname</c> maxSkew 3, both ScheduleAnyway.
    /// </summary>
    public IReadOnlyList<V1TopologySpreadConstraint> DefaultConstraints { get; init; } =
    [
        new() { TopologyKey = "topology.kubernetes.io/zone", MaxSkew = 5, WhenUnsatisfiable = "ScheduleAnyway" },
        new() { TopologyKey = "kubernetes.io/hostname", MaxSkew = 3, WhenUnsatisfiable = "ScheduleAnyway" },
    ];
}
