namespace Kube.Node.Agent.Eviction;

/// <summary>
/// The pure core of the eviction manager (no clock, no I/O): given the signals observed at a time, which thresholds are
/// met (soft ones only once met for their whole grace period), and which pressure conditions the node reports (they stay
/// on for the pressure transition period after the last time a threshold was met, as upstream).
/// </summary>
internal sealed class EvictionDecider(IReadOnlyList<EvictionThreshold> thresholds, TimeSpan pressureTransitionPeriod)
{
    private readonly Dictionary<EvictionThreshold, DateTimeOffset> _firstObserved = [];
    private readonly Dictionary<string, DateTimeOffset> _lastMet = new(StringComparer.Ordinal);

    public IReadOnlyList<EvictionThreshold> Thresholds => thresholds;

    /// <summary>
    /// One observation round. <paramref name="observations"/> maps a signal to (available, capacity); signals absent
    /// from it are not evaluated. Returns the thresholds to act on (hard first, memory before disk) and the conditions under pressure.
    /// </summary>
    public EvictionDecision Observe(DateTimeOffset now, IReadOnlyDictionary<string, (ulong Available, ulong Capacity)> observations)
    {
        var act = new List<(EvictionThreshold Threshold, ulong Available, ulong Capacity)>();
        foreach (var t in thresholds)
        {
            if (!observations.TryGetValue(t.Signal, out var o) || o.Available >= t.Value(o.Capacity))
            {
                _firstObserved.Remove(t);
                continue;
            }

            _lastMet[t.Condition] = now;
            if (!_firstObserved.TryGetValue(t, out var since))
            {
                _firstObserved[t] = since = now;
            }

            if (t.IsHard || now - since >= t.GracePeriod)
            {
                act.Add((t, o.Available, o.Capacity));
            }
        }

        var pressure = _lastMet.Where(kv => now - kv.Value < pressureTransitionPeriod || kv.Value == now).Select(kv => kv.Key).ToHashSet(StringComparer.Ordinal);
        return new EvictionDecision(
            act.OrderBy(a => a.Threshold.IsHard ? 0 : 1).ThenBy(a => a.Threshold.Signal == "memory.available" ? 0 : 1).ToList(),
            pressure);
    }
}

/// <summary>What one observation round decided.</summary>
internal sealed record EvictionDecision(
    IReadOnlyList<(EvictionThreshold Threshold, ulong Available, ulong Capacity)> Met,
    IReadOnlySet<string> PressureConditions);
