namespace Kube.Core.Client;

/// <summary>How dependents are treated when their owner is deleted.</summary>
public enum PropagationPolicy
{
    /// <summary>The owner goes at once; the garbage collector deletes dependents afterwards (the default).</summary>
    Background,
    /// <summary>The owner stays with the foregroundDeletion finalizer until blocking dependents are gone.</summary>
    Foreground,
    /// <summary>Dependents stay, with the owner reference removed.</summary>
    Orphan,
}

/// <summary>Options of delete, as metav1.DeleteOptions.</summary>
public sealed record DeleteOptions
{
    /// <summary>Seconds before a pod is forcibly killed; 0 deletes at once. Null uses the object's default.</summary>
    public long? GracePeriodSeconds { get; init; }
    public PropagationPolicy? PropagationPolicy { get; init; }
    /// <summary>Delete only if the object still has this uid.</summary>
    public string? PreconditionUid { get; init; }
    /// <summary>Delete only if the object still has this resourceVersion.</summary>
    public string? PreconditionResourceVersion { get; init; }
    public string? DryRun { get; init; }
}
