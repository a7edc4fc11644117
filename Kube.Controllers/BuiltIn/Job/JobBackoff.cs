using k8s.Models;

namespace Kube.Controllers.BuiltIn.Job;

/// <summary>
/// Upstream's pod-failure backoff: after n failures since the last success, new pods wait
/// base × 2^(n-1) (capped) from the last failure.
/// </summary>
internal static class JobBackoff
{
    public static TimeSpan Delay(int failuresSinceSuccess, TimeSpan baseDelay, TimeSpan max)
    {
        if (failuresSinceSuccess <= 0) return TimeSpan.Zero;
        var exponent = Math.Min(failuresSinceSuccess - 1, 30);
        var ticks = baseDelay.Ticks * Math.Pow(2, exponent);
        return ticks >= max.Ticks ? max : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>How long new pods must still wait at <paramref name="now"/>, judged from the Job's finished pods.</summary>
    public static TimeSpan Remaining(IEnumerable<V1Pod> pods, V1Job job, DateTimeOffset now, TimeSpan baseDelay, TimeSpan max)
    {
        var lastSuccess = DateTimeOffset.MinValue;
        var failed = new List<DateTimeOffset>();
        foreach (var p in pods)
        {
            if (JobPods.IsSucceeded(p))
            {
                var at = JobPods.FinishedAt(p);
                if (at > lastSuccess) lastSuccess = at;
            }
            else if (JobPods.IsFailed(p, job))
            {
                failed.Add(JobPods.FinishedAt(p));
            }
        }

        var since = failed.Where(f => f > lastSuccess).ToList();
        if (since.Count == 0) return TimeSpan.Zero;
        var remaining = since.Max() + Delay(since.Count, baseDelay, max) - now;
        return remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
    }
}
