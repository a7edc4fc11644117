using k8s.Models;

namespace Kube.Controllers.BuiltIn.HorizontalPodAutoscaler;

/// <summary>
/// Upstream's normalization of a metric-based recommendation with <c>spec.behavior</c> (defaults filled as the API does:
/// scale up with no stabilization, 100 % or 4 pods per 15 s, whichever is greater; scale down with a 5-minute
/// stabilization window, 100 % per 15 s): stabilize over the windows, then limit the rate and clamp to min/max. Pure,
/// apart from the <see cref="ScaleHistory"/> it updates.
/// </summary>
internal static class ScaleNormalizer
{
    public static V2HPAScalingRules ScaleUp(V2HorizontalPodAutoscalerBehavior? behavior) => Fill(behavior?.ScaleUp, up: true);

    public static V2HPAScalingRules ScaleDown(V2HorizontalPodAutoscalerBehavior? behavior) => Fill(behavior?.ScaleDown, up: false);

    private static V2HPAScalingRules Fill(V2HPAScalingRules? rules, bool up) => new()
    {
        StabilizationWindowSeconds = rules?.StabilizationWindowSeconds ?? (up ? 0 : 300),
        SelectPolicy = rules?.SelectPolicy ?? "Max",
        Policies = rules?.Policies is { Count: > 0 } p ? p
            : up ? [new V2HPAScalingPolicy { Type = "Pods", PeriodSeconds = 15, Value = 4 }, new V2HPAScalingPolicy { Type = "Percent", PeriodSeconds = 15, Value = 100 }]
            : [new V2HPAScalingPolicy { Type = "Percent", PeriodSeconds = 15, Value = 100 }],
    };

    /// <summary>The stabilized recommendation, with the AbleToScale reason and message that explain it.</summary>
    public static (int Replicas, string Reason, string Message) Stabilize(ScaleHistory history, int current, int desired,
        V2HPAScalingRules up, V2HPAScalingRules down, DateTimeOffset now)
    {
        var upWindow = TimeSpan.FromSeconds(up.StabilizationWindowSeconds ?? 0);
        var downWindow = TimeSpan.FromSeconds(down.StabilizationWindowSeconds ?? 0);
        // Upstream seeds a new HPA's history with the current size, so a fresh controller does not scale down at once.
        if (history.Recommendations.Count == 0 && downWindow > TimeSpan.Zero) history.Recommendations.Add((now, current));
        int upRec = desired, downRec = desired;
        foreach (var (at, replicas) in history.Recommendations)
        {
            if (at > now - upWindow) upRec = Math.Min(upRec, replicas);
            if (at > now - downWindow) downRec = Math.Max(downRec, replicas);
        }

        var longest = upWindow > downWindow ? upWindow : downWindow;
        history.Recommendations.RemoveAll(r => r.At <= now - longest);
        history.Recommendations.Add((now, desired));
        var result = current;
        if (result < upRec) result = upRec;
        if (result > downRec) result = downRec;
        if (result == desired) return (result, "ReadyForNewScale", "recommended size matches current size");
        return desired >= current
            ? (result, "ScaleUpStabilized", "recent recommendations were lower than current one, applying the lowest recent recommendation")
            : (result, "ScaleDownStabilized", "recent recommendations were higher than current one, applying the highest recent recommendation");
    }

    /// <summary>Limits <paramref name="desired"/> by the rate policies and min/max; the ScalingLimited reason and message.</summary>
    public static (int Replicas, string Reason, string Message) Limit(ScaleHistory history, int current, int desired, int min, int max,
        V2HPAScalingRules up, V2HPAScalingRules down, DateTimeOffset now)
    {
        if (desired > current)
        {
            var limit = UpLimit(current, history.ScaleUps, up, now);
            if (limit < current) limit = current;
            var (cap, reason, message) = max > limit
                ? (limit, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate")
                : (max, "TooManyReplicas", "the desired replica count is more than the maximum replica count");
            if (desired > cap) return (cap, reason, message);
        }
        else if (desired < current)
        {
            var limit = DownLimit(current, history.ScaleDowns, down, now);
            if (limit > current) limit = current;
            var (floor, reason, message) = min > limit
                ? (min, "TooFewReplicas", "the desired replica count is less than the minimum replica count")
                : (limit, "ScaleDownLimit", "the desired replica count is decreasing faster than the maximum scale rate");
            if (desired < floor) return (floor, reason, message);
        }

        return (desired, "DesiredWithinRange", "the desired count is within the acceptable range");
    }

    /// <summary>Remembers a rescale for the rate policies, forgetting events older than the longest policy period.</summary>
    public static void RecordScale(ScaleHistory history, int from, int to, V2HPAScalingRules up, V2HPAScalingRules down, DateTimeOffset now)
    {
        var keep = TimeSpan.FromSeconds(Math.Max(up.Policies.Max(p => p.PeriodSeconds), down.Policies.Max(p => p.PeriodSeconds)));
        history.ScaleUps.RemoveAll(e => e.At <= now - keep);
        history.ScaleDowns.RemoveAll(e => e.At <= now - keep);
        if (to > from) history.ScaleUps.Add((now, to - from));
        else if (to < from) history.ScaleDowns.Add((now, from - to));
    }

    private static int UpLimit(int current, List<(DateTimeOffset At, int Change)> events, V2HPAScalingRules rules, DateTimeOffset now)
    {
        if (rules.SelectPolicy == "Disabled") return current;
        var min = rules.SelectPolicy == "Min";
        var result = min ? int.MaxValue : int.MinValue;
        foreach (var policy in rules.Policies)
        {
            var added = events.Where(e => e.At > now - TimeSpan.FromSeconds(policy.PeriodSeconds)).Sum(e => e.Change);
            var start = current - added;
            var proposed = policy.Type == "Pods" ? start + policy.Value : (int)Math.Ceiling(start * (1 + policy.Value / 100.0));
            result = min ? Math.Min(result, proposed) : Math.Max(result, proposed);
        }

        return result;
    }

    private static int DownLimit(int current, List<(DateTimeOffset At, int Change)> events, V2HPAScalingRules rules, DateTimeOffset now)
    {
        if (rules.SelectPolicy == "Disabled") return current;
        var min = rules.SelectPolicy == "Min";
        var result = min ? int.MinValue : int.MaxValue;
        foreach (var policy in rules.Policies)
        {
            var removed = events.Where(e => e.At > now - TimeSpan.FromSeconds(policy.PeriodSeconds)).Sum(e => e.Change);
            var start = current + removed;
            var proposed = policy.Type == "Pods" ? start - policy.Value : (int)(start * (1 - policy.Value / 100.0));
            result = min ? Math.Max(result, proposed) : Math.Min(result, proposed);
        }

        return result;
    }
}
