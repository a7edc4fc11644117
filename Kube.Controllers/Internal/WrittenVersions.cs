using System.Collections.Concurrent;
using System.Globalization;

namespace Kube.Controllers.Internal;

/// <summary>
/// The resourceVersion each object had after this controller's last write to it. A cache that still shows an older
/// version has not caught up with that write, and acting on it (for example counting from a stale status) would undo or
/// repeat work; the reconciler then waits for the cache. Versions are compared as the integers the store hands out;
/// versions that are not integers never count as behind.
/// </summary>
internal sealed class WrittenVersions
{
    private readonly ConcurrentDictionary<string, long> _written = new(StringComparer.Ordinal);

    public void Record(string key, string? resourceVersion)
    {
        if (long.TryParse(resourceVersion, NumberStyles.None, CultureInfo.InvariantCulture, out var v))
            _written.AddOrUpdate(key, v, (_, old) => Math.Max(old, v));
    }

    /// <summary>True when <paramref name="cachedVersion"/> is older than the version this controller last wrote.</summary>
    public bool IsBehind(string key, string? cachedVersion)
    {
        if (!_written.TryGetValue(key, out var written)) return false;
        if (!long.TryParse(cachedVersion, NumberStyles.None, CultureInfo.InvariantCulture, out var cached)) return false;
        if (cached >= written)
        {
            _written.TryRemove(new KeyValuePair<string, long>(key, written));
            return false;
        }

        return true;
    }

    public void Forget(string key) => _written.TryRemove(key, out _);
}
