using System.Collections.Concurrent;

namespace Kube.Scheduling.Framework;

/// <summary>
/// Data plugins share within one scheduling cycle of one pod (upstream's CycleState): written in PreFilter or PreScore,
/// read in Filter or Score. Thread-safe, since Filter runs in parallel over nodes.
/// </summary>
public sealed class CycleState
{
    private readonly ConcurrentDictionary<string, object> _data = new(StringComparer.Ordinal);

    /// <summary>The Filter plugins whose PreFilter returned Skip this cycle (their Filter is not run).</summary>
    internal HashSet<string>? SkipFilterPlugins { get; set; }

    /// <summary>The Score plugins whose PreScore returned Skip this cycle (their Score is not run).</summary>
    internal HashSet<string>? SkipScorePlugins { get; set; }

    public void Write(string key, object value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        _data[key] = value;
    }

    public bool TryRead<T>(string key, out T value)
    {
        if (_data.TryGetValue(key, out var o) && o is T t)
        {
            value = t;
            return true;
        }

        value = default!;
        return false;
    }

    public void Delete(string key) => _data.TryRemove(key, out _);

    /// <summary>
    /// A copy for a simulation (preemption, nominated pods): values implementing <see cref="IStateData"/> are cloned,
    /// others are shared.
    /// </summary>
    public CycleState Clone()
    {
        var c = new CycleState();
        foreach (var (k, v) in _data) c._data[k] = v is IStateData d ? d.Clone() : v;
        c.SkipFilterPlugins = SkipFilterPlugins;
        c.SkipScorePlugins = SkipScorePlugins;
        return c;
    }
}
