using k8s.Models;

namespace Kube.Controllers.BuiltIn.HorizontalPodAutoscaler;

/// <summary>
/// Upstream's replica calculator for Resource metrics, as a pure function: desired = ceil(ready pods × current/target)
/// unless the ratio is within <see cref="Tolerance"/> of 1. Deleted and failed pods are ignored; pending pods, and for
/// cpu pods that are not ready (during the cpu initialization period, or never ready since start), are unready; pods
/// without a figure are missing. When scaling up, unready pods count as 0 % and missing ones as 0; when scaling down,
/// missing ones count as 100 % (of their request, or the target value); if that flips the direction nothing changes.
/// Failures throw <see cref="InvalidOperationException"/> with upstream's wording.
/// </summary>
internal static class ReplicaCalculator
{
    public const double Tolerance = 0.1;
    public static readonly TimeSpan CpuInitializationPeriod = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan DelayOfInitialReadinessStatus = TimeSpan.FromSeconds(30);

    /// <summary>Utilization target: percent of the pods' requests.</summary>
    public static ReplicaCalculation ForUtilization(int currentReplicas, int targetUtilization, string resource, IReadOnlyList<V1Pod> pods,
        IReadOnlyDictionary<string, PodMetricSample> samples, DateTimeOffset now)
    {
        if (samples.Count == 0) throw new InvalidOperationException("unable to get metrics for resource " + resource + ": no metrics returned from resource metrics API");
        var requests = Requests(pods, resource);
        var (metrics, readyCount, unready, missing) = Group(pods, samples, resource, now);
        if (metrics.Count == 0) throw new InvalidOperationException("did not receive metrics for targeted pods (pods might be unready)");
        var (ratio, utilization, average) = UtilizationRatio(metrics, requests, targetUtilization);
        var scaleUpWithUnready = unready.Count > 0 && ratio > 1.0;
        if (!scaleUpWithUnready && missing.Count == 0)
        {
            return Math.Abs(1.0 - ratio) <= Tolerance
                ? new ReplicaCalculation(currentReplicas, utilization, average)
                : new ReplicaCalculation((int)Math.Ceiling(ratio * readyCount), utilization, average);
        }

        foreach (var name in missing) metrics[name] = ratio < 1.0 ? requests[name] * Math.Max(100, targetUtilization) / 100m : 0m;
        if (scaleUpWithUnready) foreach (var name in unready) metrics[name] = 0m;
        var (newRatio, _, _) = UtilizationRatio(metrics, requests, targetUtilization);
        return new ReplicaCalculation(Settle(currentReplicas, ratio, newRatio, metrics.Count), utilization, average);
    }

    /// <summary>AverageValue target: the mean per-pod figure against a value (milli-units).</summary>
    public static ReplicaCalculation ForAverageValue(int currentReplicas, decimal targetMilli, string resource, IReadOnlyList<V1Pod> pods,
        IReadOnlyDictionary<string, PodMetricSample> samples, DateTimeOffset now)
    {
        if (samples.Count == 0) throw new InvalidOperationException("unable to get metrics for resource " + resource + ": no metrics returned from resource metrics API");
        var (metrics, readyCount, unready, missing) = Group(pods, samples, resource, now);
        if (metrics.Count == 0) throw new InvalidOperationException("did not receive metrics for targeted pods (pods might be unready)");
        var average = metrics.Values.Sum() / metrics.Count;
        var ratio = (double)(average / targetMilli);
        var scaleUpWithUnready = unready.Count > 0 && ratio > 1.0;
        if (!scaleUpWithUnready && missing.Count == 0)
        {
            return Math.Abs(1.0 - ratio) <= Tolerance
                ? new ReplicaCalculation(currentReplicas, null, average)
                : new ReplicaCalculation((int)Math.Ceiling(ratio * readyCount), null, average);
        }

        foreach (var name in missing) metrics[name] = ratio < 1.0 ? targetMilli : 0m;
        if (scaleUpWithUnready) foreach (var name in unready) metrics[name] = 0m;
        var newRatio = (double)(metrics.Values.Sum() / metrics.Count / targetMilli);
        return new ReplicaCalculation(Settle(currentReplicas, ratio, newRatio, metrics.Count), null, average);
    }

    private static int Settle(int currentReplicas, double ratio, double newRatio, int count)
    {
        if (Math.Abs(1.0 - newRatio) <= Tolerance || (ratio < 1.0 && newRatio > 1.0) || (ratio > 1.0 && newRatio < 1.0)) return currentReplicas;
        var replicas = (int)Math.Ceiling(newRatio * count);
        if ((newRatio < 1.0 && replicas > currentReplicas) || (newRatio > 1.0 && replicas < currentReplicas)) return currentReplicas;
        return replicas;
    }

    private static (double Ratio, int Utilization, decimal Average) UtilizationRatio(Dictionary<string, decimal> metrics, Dictionary<string, decimal> requests,
        int target)
    {
        decimal metricsTotal = 0, requestsTotal = 0;
        var n = 0;
        foreach (var (name, value) in metrics)
        {
            if (!requests.TryGetValue(name, out var request)) continue;
            metricsTotal += value;
            requestsTotal += request;
            n++;
        }

        if (requestsTotal == 0) throw new InvalidOperationException("no metrics returned matched known pods");
        var utilization = (int)Math.Truncate(metricsTotal * 100 / requestsTotal);
        return ((double)utilization / target, utilization, metricsTotal / n);
    }

    private static Dictionary<string, decimal> Requests(IReadOnlyList<V1Pod> pods, string resource)
    {
        var requests = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var pod in pods)
        {
            decimal total = 0;
            foreach (var c in pod.Spec?.Containers ?? [])
            {
                if (c.Resources?.Requests is not { } r || !r.TryGetValue(resource, out var q))
                    throw new InvalidOperationException($"missing request for {resource} in container {c.Name} of Pod {pod.Metadata.Name}");
                total += q.ToDecimal() * 1000;
            }

            requests[pod.Metadata.Name] = total;
        }

        return requests;
    }

    private static (Dictionary<string, decimal> Metrics, int ReadyCount, List<string> Unready, List<string> Missing) Group(IReadOnlyList<V1Pod> pods,
        IReadOnlyDictionary<string, PodMetricSample> samples, string resource, DateTimeOffset now)
    {
        var metrics = new Dictionary<string, decimal>(StringComparer.Ordinal);
        var unready = new List<string>();
        var missing = new List<string>();
        foreach (var pod in pods)
        {
            var name = pod.Metadata.Name;
            if (pod.Metadata.DeletionTimestamp is not null || pod.Status?.Phase == "Failed") continue;
            if (pod.Status?.Phase is null or "Pending")
            {
                unready.Add(name);
                continue;
            }

            if (!samples.TryGetValue(name, out var sample))
            {
                missing.Add(name);
                continue;
            }

            if (resource == "cpu" && IsUnreadyForCpu(pod, sample, now))
            {
                unready.Add(name);
                continue;
            }

            metrics[name] = sample.Milli;
        }

        return (metrics, metrics.Count, unready, missing);
    }

    private static bool IsUnreadyForCpu(V1Pod pod, PodMetricSample sample, DateTimeOffset now)
    {
        var ready = pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready");
        if (ready is null || pod.Status?.StartTime is not { } started) return true;
        var start = new DateTimeOffset(DateTime.SpecifyKind(started, DateTimeKind.Utc));
        var transition = ready.LastTransitionTime is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : start;
        if (start + CpuInitializationPeriod > now) return ready.Status == "False" || sample.Timestamp < transition + sample.Window;
        return ready.Status == "False" && start + DelayOfInitialReadinessStatus > transition;
    }
}
