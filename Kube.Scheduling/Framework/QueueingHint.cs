namespace Kube.Scheduling.Framework;

/// <summary>A plugin's answer to "may this event make the pod I rejected schedulable?".</summary>
public enum QueueingHint
{
    /// <summary>Nothing changed for this pod: leave it in the unschedulable set.</summary>
    QueueSkip,

    /// <summary>The pod may fit now: retry it (after its backoff).</summary>
    Queue,
}
