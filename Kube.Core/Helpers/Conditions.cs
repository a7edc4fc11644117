using k8s.Models;

namespace Kube.Core.Helpers;

/// <summary>
/// Helpers for status conditions: the standard <see cref="V1Condition"/> (metav1.Condition, used by custom
/// resources) and pods' <see cref="V1PodCondition"/>. As apimachinery's meta.SetStatusCondition, the transition time
/// changes only when the status changes.
/// </summary>
public static class Conditions
{
    public const string True = "True";
    public const string False = "False";
    public const string Unknown = "Unknown";

    public static V1Condition? Find(IEnumerable<V1Condition>? conditions, string type) =>
        conditions?.FirstOrDefault(c => c.Type == type);

    public static bool IsTrue(IEnumerable<V1Condition>? conditions, string type) => Find(conditions, type)?.Status == True;

    public static bool IsFalse(IEnumerable<V1Condition>? conditions, string type) => Find(conditions, type)?.Status == False;

    /// <summary>
    /// Adds or updates the condition of <paramref name="condition"/>'s type. lastTransitionTime is set to now when the
    /// status changes (or the condition is new and has none) and kept otherwise. Returns true when anything changed.
    /// </summary>
    public static bool Set(IList<V1Condition> conditions, V1Condition condition, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentException.ThrowIfNullOrEmpty(condition.Type);
        var now = time.GetUtcNow().UtcDateTime;
        var existing = Find(conditions, condition.Type);
        if (existing is null)
        {
            condition.LastTransitionTime = condition.LastTransitionTime == default ? now : condition.LastTransitionTime;
            conditions.Add(condition);
            return true;
        }

        var changed = false;
        if (existing.Status != condition.Status)
        {
            existing.Status = condition.Status;
            existing.LastTransitionTime = condition.LastTransitionTime == default ? now : condition.LastTransitionTime;
            changed = true;
        }

        if (existing.Reason != condition.Reason) { existing.Reason = condition.Reason; changed = true; }
        if (existing.Message != condition.Message) { existing.Message = condition.Message; changed = true; }
        if (existing.ObservedGeneration != condition.ObservedGeneration) { existing.ObservedGeneration = condition.ObservedGeneration; changed = true; }
        return changed;
    }

    /// <summary>Removes the condition of that type; returns whether one was removed.</summary>
    public static bool Remove(IList<V1Condition> conditions, string type)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        var c = Find(conditions, type);
        return c is not null && conditions.Remove(c);
    }

    public static V1PodCondition? FindPodCondition(V1Pod pod, string type) => pod?.Status?.Conditions?.FirstOrDefault(c => c.Type == type);

    /// <summary>True when the pod's Ready condition is True.</summary>
    public static bool IsPodReady(V1Pod pod) => FindPodCondition(pod, "Ready")?.Status == True;

    /// <summary>
    /// Adds or updates a pod condition (lastTransitionTime changes only with the status; lastProbeTime is kept from the
    /// argument). Returns true when anything changed.
    /// </summary>
    public static bool SetPodCondition(V1Pod pod, V1PodCondition condition, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(time);
        pod.Status ??= new V1PodStatus();
        pod.Status.Conditions ??= new List<V1PodCondition>();
        var now = time.GetUtcNow().UtcDateTime;
        var existing = pod.Status.Conditions.FirstOrDefault(c => c.Type == condition.Type);
        if (existing is null)
        {
            condition.LastTransitionTime ??= now;
            pod.Status.Conditions.Add(condition);
            return true;
        }

        var changed = false;
        if (existing.Status != condition.Status)
        {
            existing.Status = condition.Status;
            existing.LastTransitionTime = condition.LastTransitionTime ?? now;
            changed = true;
        }

        if (existing.Reason != condition.Reason) { existing.Reason = condition.Reason; changed = true; }
        if (existing.Message != condition.Message) { existing.Message = condition.Message; changed = true; }
        if (condition.LastProbeTime is not null && existing.LastProbeTime != condition.LastProbeTime) { existing.LastProbeTime = condition.LastProbeTime; changed = true; }
        return changed;
    }
}
