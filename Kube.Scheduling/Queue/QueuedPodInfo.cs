using k8s.Models;

namespace Kube.Scheduling.Queue;

/// <summary>A pending pod in the scheduling queue, with its attempts and timestamps.</summary>
public sealed class QueuedPodInfo
{
    internal QueuedPodInfo(V1Pod pod, DateTimeOffset now)
    {
        Pod = pod;
        Key = KeyOf(pod);
        Timestamp = now;
    }

    public V1Pod Pod { get; internal set; }

    /// <summary>"namespace/name".</summary>
    public string Key { get; }

    /// <summary>How many times the pod was popped for scheduling.</summary>
    public int Attempts { get; internal set; }

    /// <summary>When the pod was added, or when its last attempt failed: the active heap's tie-breaker and the backoff's start (upstream's Timestamp).</summary>
    public DateTimeOffset Timestamp { get; internal set; }

    /// <summary>When the pod was first popped.</summary>
    public DateTimeOffset? InitialAttemptTimestamp { get; internal set; }

    /// <summary>The plugins that rejected the pod in its last attempt.</summary>
    public IReadOnlySet<string> UnschedulablePlugins { get; internal set; } = new HashSet<string>();

    internal long Sequence { get; set; }

    /// <summary>Whether the pod is backing off after an error (upstream's podErrorBackoffQ): only its backoff's end lets it out.</summary>
    internal bool BackoffAfterError { get; set; }

    public static string KeyOf(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        return $"{pod.Metadata?.NamespaceProperty}/{pod.Metadata?.Name}";
    }
}
