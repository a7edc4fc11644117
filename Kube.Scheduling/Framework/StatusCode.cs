namespace Kube.Scheduling.Framework;

/// <summary>The outcome codes of plugins, as the upstream scheduler framework's.</summary>
public enum StatusCode
{
    /// <summary>The plugin ran and the pod may go on.</summary>
    Success = 0,
    /// <summary>An internal error; the pod is retried with backoff.</summary>
    Error = 1,
    /// <summary>The pod does not fit now; preemption may help.</summary>
    Unschedulable = 2,
    /// <summary>The pod does not fit and preemption would not help.</summary>
    UnschedulableAndUnresolvable = 3,
    /// <summary>A permit plugin asks the pod to wait.</summary>
    Wait = 4,
    /// <summary>The plugin has nothing to say for this pod (e.g. a bind plugin that does not handle it).</summary>
    Skip = 5,
}
