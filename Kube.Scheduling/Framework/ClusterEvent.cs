namespace Kube.Scheduling.Framework;

/// <summary>A change in the cluster that may make rejected pods schedulable: a resource and what happened to it.</summary>
public readonly record struct ClusterEvent(EventResource Resource, ActionType Action)
{
    /// <summary>Any change (moves every unschedulable pod).</summary>
    public static ClusterEvent WildCard { get; } = new(EventResource.WildCard, ActionType.All);

    /// <summary>Whether an event <paramref name="happened"/> is one this registration is interested in.</summary>
    public bool Matches(ClusterEvent happened) =>
        Resource == EventResource.WildCard || happened.Resource == EventResource.WildCard
        || (Resource == happened.Resource && (Action & happened.Action) != 0);

    public override string ToString() => $"{Resource}/{Action}";
}
