namespace Kube.Node.Agent.Eviction;

/// <summary>
/// Upstream's eviction order (pkg/kubelet/eviction rankMemoryPressure / rankDiskPressureFunc): pods whose usage exceeds
/// their request first (pods without usage figures before them all), then lower priority first, then the larger usage
/// above the request first. BestEffort pods request nothing, so any usage puts them ahead of pods within their requests.
/// </summary>
internal static class EvictionRanking
{
    public static List<EvictionCandidate> Rank(IEnumerable<EvictionCandidate> candidates, string resource) =>
        candidates
            .OrderBy(c => c.Usage is null ? 0 : 1)
            .ThenBy(c => c.Usage > EvictionCandidate.Request(c.Pod, resource) ? 0 : 1)
            .ThenBy(c => c.Pod.Spec?.Priority ?? 0)
            .ThenByDescending(c => (decimal)(c.Usage ?? 0) - EvictionCandidate.Request(c.Pod, resource))
            .ToList();
}
