using k8s.Models;

namespace Kube.Controllers.Internal;

/// <summary>Pod state as the workload controllers judge it.</summary>
internal static class PodUtil
{
    /// <summary>Not terminated (Succeeded/Failed) and not being deleted.</summary>
    public static bool IsActive(V1Pod pod) =>
        pod.Metadata?.DeletionTimestamp is null && pod.Status?.Phase is not ("Succeeded" or "Failed");

    public static V1PodCondition? ReadyCondition(V1Pod pod) =>
        pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready");

    public static bool IsReady(V1Pod pod) => ReadyCondition(pod)?.Status == "True";

    /// <summary>Ready for at least <paramref name="minReadySeconds"/> at <paramref name="now"/>.</summary>
    public static bool IsAvailable(V1Pod pod, int minReadySeconds, DateTimeOffset now)
    {
        var ready = ReadyCondition(pod);
        if (ready?.Status != "True") return false;
        if (minReadySeconds <= 0) return true;
        if (ready.LastTransitionTime is not { } since) return false;
        return new DateTimeOffset(DateTime.SpecifyKind(since, DateTimeKind.Utc)).AddSeconds(minReadySeconds) <= now;
    }

    /// <summary>When a ready pod becomes available, or null when it is not ready or already available.</summary>
    public static TimeSpan? TimeUntilAvailable(V1Pod pod, int minReadySeconds, DateTimeOffset now)
    {
        var ready = ReadyCondition(pod);
        if (ready?.Status != "True" || minReadySeconds <= 0 || ready.LastTransitionTime is not { } since) return null;
        var at = new DateTimeOffset(DateTime.SpecifyKind(since, DateTimeKind.Utc)).AddSeconds(minReadySeconds);
        return at > now ? at - now : null;
    }

    /// <summary>
    /// Orders pods so that the ones to delete first come first (upstream's ActivePods ranking, simplified):
    /// unscheduled before scheduled, Pending before Unknown before Running, not ready before ready, newer before older.
    /// </summary>
    public static int CompareForDeletion(V1Pod a, V1Pod b)
    {
        var c = Scheduled(a).CompareTo(Scheduled(b));
        if (c != 0) return c;
        c = PhaseRank(a).CompareTo(PhaseRank(b));
        if (c != 0) return c;
        c = IsReady(a).CompareTo(IsReady(b));
        if (c != 0) return c;
        // Newer first: a later creation time sorts earlier.
        c = Created(b).CompareTo(Created(a));
        return c != 0 ? c : string.CompareOrdinal(a.Metadata?.Name, b.Metadata?.Name);
    }

    private static bool Scheduled(V1Pod p) => !string.IsNullOrEmpty(p.Spec?.NodeName);

    private static int PhaseRank(V1Pod p) => p.Status?.Phase switch
    {
        "Pending" or null or "" => 0,
        "Unknown" => 1,
        "Running" => 2,
        _ => 3,
    };

    private static DateTime Created(V1Pod p) => p.Metadata?.CreationTimestamp ?? DateTime.MinValue;
}
