using k8s;
using k8s.Models;

namespace Kube.Core.Informers;

/// <summary>
/// A thread-safe <see cref="IIndexer{T}"/>: objects by key ("namespace/name" or "name") with secondary indexes.
/// The <see cref="Indexers.Namespace"/> index always exists. Informers own their indexer and are its only writer;
/// the mutators are public so that callers can build caches of their own.
/// </summary>
public sealed class Indexer<T> : IIndexer<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly Dictionary<string, T> _items = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Func<T, IEnumerable<string>>> _indexFuncs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, HashSet<string>>> _indices = new(StringComparer.Ordinal);

    public Indexer()
    {
        AddIndexer(Indexers.Namespace, o => [o.Metadata?.NamespaceProperty ?? ""]);
    }

    public int Count
    {
        get
        {
            _lock.EnterReadLock();
            try { return _items.Count; }
            finally { _lock.ExitReadLock(); }
        }
    }

    public T? Get(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        _lock.EnterReadLock();
        try { return _items.GetValueOrDefault(key); }
        finally { _lock.ExitReadLock(); }
    }

    public T? Get(string? @namespace, string name) => Get(Indexers.KeyOf(@namespace, name));

    public IReadOnlyList<T> List()
    {
        _lock.EnterReadLock();
        try { return _items.Values.ToArray(); }
        finally { _lock.ExitReadLock(); }
    }

    public IReadOnlyList<string> ListKeys()
    {
        _lock.EnterReadLock();
        try { return _items.Keys.ToArray(); }
        finally { _lock.ExitReadLock(); }
    }

    public IReadOnlyList<T> ByIndex(string indexName, string value)
    {
        _lock.EnterReadLock();
        try
        {
            if (!_indices.TryGetValue(indexName, out var index))
                throw new InvalidOperationException($"No index named \"{indexName}\"; add it with AddIndexer before the informer starts.");
            if (!index.TryGetValue(value, out var keys)) return [];
            var result = new T[keys.Count];
            var i = 0;
            foreach (var k in keys) result[i++] = _items[k];
            return result;
        }
        finally { _lock.ExitReadLock(); }
    }

    /// <summary>The keys of the objects that the named index maps to <paramref name="value"/>.</summary>
    public IReadOnlyList<string> IndexKeys(string indexName, string value)
    {
        _lock.EnterReadLock();
        try
        {
            if (!_indices.TryGetValue(indexName, out var index))
                throw new InvalidOperationException($"No index named \"{indexName}\".");
            return index.TryGetValue(value, out var keys) ? keys.ToArray() : [];
        }
        finally { _lock.ExitReadLock(); }
    }

    /// <summary>Adds an index. Objects already cached are indexed at once. Re-adding a name throws.</summary>
    public void AddIndexer(string indexName, Func<T, IEnumerable<string>> indexFunc)
    {
        ArgumentNullException.ThrowIfNull(indexName);
        ArgumentNullException.ThrowIfNull(indexFunc);
        _lock.EnterWriteLock();
        try
        {
            if (_indexFuncs.ContainsKey(indexName)) throw new InvalidOperationException($"Index \"{indexName}\" already exists.");
            _indexFuncs[indexName] = indexFunc;
            var index = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
            _indices[indexName] = index;
            foreach (var (key, obj) in _items) AddToIndex(index, indexFunc, key, obj);
        }
        finally { _lock.ExitWriteLock(); }
    }

    /// <summary>Adds or replaces an object; returns the previous one.</summary>
    public T? Upsert(T obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var key = Indexers.KeyOf(obj);
        _lock.EnterWriteLock();
        try
        {
            _items.TryGetValue(key, out var old);
            if (old is not null) Unindex(key, old);
            _items[key] = obj;
            Index(key, obj);
            return old;
        }
        finally { _lock.ExitWriteLock(); }
    }

    /// <summary>Removes the object with the key; returns it, or null when it was not cached.</summary>
    public T? Remove(string key)
    {
        _lock.EnterWriteLock();
        try
        {
            if (!_items.Remove(key, out var old)) return null;
            Unindex(key, old);
            return old;
        }
        finally { _lock.ExitWriteLock(); }
    }

    /// <summary>Replaces the whole content.</summary>
    public void Replace(IEnumerable<T> objects)
    {
        ArgumentNullException.ThrowIfNull(objects);
        _lock.EnterWriteLock();
        try
        {
            _items.Clear();
            foreach (var index in _indices.Values) index.Clear();
            foreach (var o in objects)
            {
                var key = Indexers.KeyOf(o);
                if (_items.Remove(key, out var dup)) Unindex(key, dup);
                _items[key] = o;
                Index(key, o);
            }
        }
        finally { _lock.ExitWriteLock(); }
    }

    private void Index(string key, T obj)
    {
        foreach (var (name, func) in _indexFuncs) AddToIndex(_indices[name], func, key, obj);
    }

    private static void AddToIndex(Dictionary<string, HashSet<string>> index, Func<T, IEnumerable<string>> func, string key, T obj)
    {
        foreach (var value in func(obj) ?? [])
        {
            if (value is null) continue;
            if (!index.TryGetValue(value, out var set)) index[value] = set = new HashSet<string>(StringComparer.Ordinal);
            set.Add(key);
        }
    }

    private void Unindex(string key, T obj)
    {
        foreach (var (name, func) in _indexFuncs)
        {
            var index = _indices[name];
            foreach (var value in func(obj) ?? [])
            {
                if (value is null || !index.TryGetValue(value, out var set)) continue;
                set.Remove(key);
                if (set.Count == 0) index.Remove(value);
            }
        }
    }
}
