namespace Kube.Controllers.BuiltIn.ReplicaSet;

/// <summary>
/// Upstream's expectations, checked against the cache instead of counted from events: the pods a ReplicaSet created
/// (by name) that the pod cache has not shown yet, and the pods it deleted (by uid) that the cache still shows live.
/// Until they are all observed (or expire), the controller does not create or delete more, so a lagging cache never
/// causes over-creation.
/// </summary>
internal sealed class ReplicaSetExpectations(TimeProvider time)
{
    /// <summary>After this long an unobserved expectation is dropped (upstream: 5 minutes).</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    private readonly Dictionary<string, Entry> _entries = [];
    private readonly Lock _lock = new();

    public void ExpectCreated(string key, string podName)
    {
        lock (_lock) GetOrAdd(key).Creates.Add(podName);
    }

    public void ExpectDeleted(string key, string podUid)
    {
        lock (_lock) GetOrAdd(key).Deletes.Add(podUid);
    }

    public void Clear(string key)
    {
        lock (_lock) _entries.Remove(key);
    }

    /// <summary>The age of the oldest outstanding expectation of <paramref name="key"/>, or null when none remain.</summary>
    /// <param name="key">The ReplicaSet's key.</param>
    /// <param name="created">Whether the cache shows the pod of this name.</param>
    /// <param name="deleted">Whether the cache shows the pod of this uid gone (or being deleted).</param>
    public TimeSpan? Pending(string key, Func<string, bool> created, Func<string, bool> deleted)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(key, out var e)) return null;
            e.Creates.RemoveWhere(n => created(n));
            e.Deletes.RemoveWhere(u => deleted(u));
            var age = time.GetUtcNow() - e.Since;
            if ((e.Creates.Count == 0 && e.Deletes.Count == 0) || age > Timeout)
            {
                _entries.Remove(key);
                return null;
            }

            return age;
        }
    }

    /// <summary>Forgets an expected creation (the create failed, or the pod is known to be gone).</summary>
    public void Observed(string key, string podName)
    {
        lock (_lock)
            if (_entries.TryGetValue(key, out var e)) e.Creates.Remove(podName);
    }

    public IReadOnlyCollection<string> PendingCreates(string key)
    {
        lock (_lock) return _entries.TryGetValue(key, out var e) ? e.Creates.ToArray() : [];
    }

    private Entry GetOrAdd(string key)
    {
        if (!_entries.TryGetValue(key, out var e))
            _entries[key] = e = new Entry(time.GetUtcNow());
        return e;
    }

    private sealed class Entry(DateTimeOffset since)
    {
        public DateTimeOffset Since { get; } = since;
        public HashSet<string> Creates { get; } = new(StringComparer.Ordinal);
        public HashSet<string> Deletes { get; } = new(StringComparer.Ordinal);
    }
}
