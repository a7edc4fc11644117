using System.Collections.Concurrent;

namespace Kube.Scheduling.Framework;

/// <summary>
/// Data plugins share within one scheduling cycle of one pod (upstream's CycleState): written in PreFilter or PreScore,
/// read in Filter or Score. Thread-safe, since Filter runs in parallel over nodes.
/// </summary>
public sealed class CycleState
{
    private readonly ConcurrentDictionary<string, object> _data = new(StringComparer.Ordinal);

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
}
