using System.Globalization;
using k8s.Models;

namespace Kube.Controllers.BuiltIn.Job;

/// <summary>
/// backoffLimitPerIndex of Indexed Jobs, as upstream: each pod carries <c>batch.kubernetes.io/job-index-failure-count</c>,
/// the failures its index had before it; an index whose failures exceed the limit (or whose pod matched a FailIndex
/// rule) is failed for good and listed in <c>status.failedIndexes</c>.
/// </summary>
internal static class JobPerIndex
{
    public const string FailureCountAnnotation = "batch.kubernetes.io/job-index-failure-count";
    public const string ReasonMaxFailedIndexesExceeded = "MaxFailedIndexesExceeded";
    public const string MessageMaxFailedIndexesExceeded = "Job has exceeded the specified maximal number of failed indexes";
    public const string ReasonFailedIndexes = "FailedIndexes";
    public const string MessageFailedIndexes = "Job has failed indexes";

    public static bool Enabled(V1Job job) => job.Spec?.CompletionMode == JobConstants.Indexed && job.Spec.BackoffLimitPerIndex is not null;

    /// <summary>The failures of the pod's index before this pod (its annotation; 0 without one).</summary>
    public static int FailuresBefore(V1Pod pod) =>
        pod.Metadata.Annotations?.TryGetValue(FailureCountAnnotation, out var v) == true
        && int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;

    /// <summary>True when this failed pod uses up its index: a FailIndex rule matched, or the index's failures now exceed the limit.</summary>
    public static bool FailsIndex(V1Job job, V1Pod pod, string? action) =>
        action == PodFailurePolicyEvaluator.FailIndex || FailuresBefore(pod) + 1 > job.Spec.BackoffLimitPerIndex;

    /// <summary>Per index, the failures so far: one more than the count the latest failed pod of the index carried (ignored failures do not count).</summary>
    public static Dictionary<int, int> FailureCounts(V1Job job, IEnumerable<V1Pod> pods)
    {
        var counts = new Dictionary<int, int>();
        foreach (var pod in pods)
        {
            if (!JobPods.IsFailed(pod, job) || JobPods.IndexOf(pod) is not { } ix) continue;
            if (PodFailurePolicyEvaluator.Match(job.Spec.PodFailurePolicy, pod)?.Action == PodFailurePolicyEvaluator.Ignore) continue;
            counts[ix] = Math.Max(counts.GetValueOrDefault(ix), FailuresBefore(pod) + 1);
        }

        return counts;
    }
}
