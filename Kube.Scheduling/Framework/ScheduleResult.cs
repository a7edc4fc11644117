namespace Kube.Scheduling.Framework;

/// <summary>
/// The outcome of one scheduling attempt: the chosen node, or the statuses of the nodes that failed and the message
/// users see (<c>0/3 nodes are available: ...</c>).
/// </summary>
public sealed record ScheduleResult
{
    /// <summary>The node chosen, or null when the pod fits nowhere.</summary>
    public string? SuggestedHost { get; init; }

    public int EvaluatedNodes { get; init; }

    /// <summary>The nodes in the snapshot.</summary>
    public int NumAllNodes { get; init; }

    /// <summary>The PreFilter rejection, when PreFilter rejected the pod.</summary>
    public Status? PreFilterStatus { get; init; }

    public int FeasibleNodes { get; init; }

    /// <summary>Why each rejected node was rejected.</summary>
    public IReadOnlyDictionary<string, Status> FailedNodes { get; init; } = new Dictionary<string, Status>();

    /// <summary>The message of the PodScheduled=False condition and of the FailedScheduling event, when the pod does not fit.</summary>
    public string? FailureMessage { get; init; }

    /// <summary>True when the failure was an error (not a plain misfit): the pod goes to backoff.</summary>
    public bool IsError { get; init; }
}
