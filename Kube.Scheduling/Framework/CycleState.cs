namespace Kube.Scheduling.Framework;

/// <summary>
/// Data plugins share within one scheduling cycle of one pod (upstream's CycleState): written in PreFilter or PreScore,
/// read in Filter or Score. Thread-safe, since Filter runs in parallel over nodes: reads take no lock; a write (a few per
/// cycle) publishes a new copy of the small map. Cloning (preemption and nominated pods clone a state per node they try)
/// copies a plain dictionary.
/// </summary>
public sealed class CycleState
{
    private readonly Lock _writeLock = new();
    private Dictionary<string, object> _data;

    public CycleState()
    {
        _data = new Dictionary<string, object>(StringComparer.Ordinal);
    }

    private CycleState(Dictionary<string, object> data)
    {
        _data = data;
    }

    /// <summary>The Filter plugins whose PreFilter returned Skip this cycle (their Filter is not run).</summary>
    internal HashSet<string>? SkipFilterPlugins { get; set; }

    /// <summary>The Filter plugins to run this cycle (those not skipped), in order; null to run all of them.</summary>
    internal IFilterPlugin[]? FilterPlugins { get; set; }

    /// <summary>The Score plugins whose PreScore returned Skip this cycle (their Score is not run).</summary>
    internal HashSet<string>? SkipScorePlugins { get; set; }

    public void Write(string key, object value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        lock (_writeLock)
        {
            var copy = new Dictionary<string, object>(_data, StringComparer.Ordinal) { [key] = value };
            Volatile.Write(ref _data, copy);
        }
    }

    /// <summary>The value under <paramref name="key"/>, or null (a non-generic read for the plugins' per-node hot paths).</summary>
    internal object? Read(string key) => Volatile.Read(ref _data).GetValueOrDefault(key);

    public bool TryRead<T>(string key, out T value)
    {
        if (Volatile.Read(ref _data).TryGetValue(key, out var o) && o is T t)
        {
            value = t;
            return true;
        }

        value = default!;
        return false;
    }

    public void Delete(string key)
    {
        lock (_writeLock)
        {
            if (!_data.ContainsKey(key)) return;
            var copy = new Dictionary<string, object>(_data, StringComparer.Ordinal);
            copy.Remove(key);
            Volatile.Write(ref _data, copy);
        }
    }

    /// <summary>
    /// A copy for a simulation (preemption, nominated pods): values implementing <see cref="IStateData"/> are cloned,
    /// others are shared.
    /// </summary>
    public CycleState Clone()
    {
        var data = Volatile.Read(ref _data);
        var copy = new Dictionary<string, object>(data, StringComparer.Ordinal);
        foreach (var (k, v) in data)
            if (v is IStateData d) copy[k] = d.Clone();
        var c = new CycleState(copy);
        c.SkipFilterPlugins = SkipFilterPlugins;
        c.FilterPlugins = FilterPlugins;
        c.SkipScorePlugins = SkipScorePlugins;
        return c;
    }
}
