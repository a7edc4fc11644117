using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using k8s;
using k8s.Models;
using Kube.Core.Client;
using Kube.Core.Informers;
using Kube.Core.Selectors;
using WatchEventType = Kube.Core.Client.WatchEventType;

namespace Kube.Core.Tests.Testing;

/// <summary>
/// A controllable in-memory <see cref="IKubeClient"/> for informer and leader-election tests: one global resourceVersion
/// counter, an event history for resuming watches, compaction (then old versions get 410), list paging with continue
/// tokens, and hooks to end watches, fail them with 410, mutate without events and inject list failures.
/// </summary>
internal sealed class InMemoryKubeClient : IKubeClient
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(Type Type, string Key), object> _objects = [];
    private readonly List<(long Rv, Type Type, WatchEventType Kind, object Obj)> _history = [];
    private readonly List<Watcher> _watchers = [];
    private long _rv = 100;
    private long _compacted;

    public List<(string? Namespace, ListOptions Options)> ListCalls { get; } = [];
    public List<(string? Namespace, ListOptions Options)> WatchCalls { get; } = [];

    /// <summary>The next N lists fail with a 500.</summary>
    public int FailLists { get; set; }

    public int ActiveWatchers
    {
        get { lock (_lock) return _watchers.Count; }
    }

    public int WatchCallCount
    {
        get { lock (_lock) return WatchCalls.Count; }
    }

    public int ListCallCount
    {
        get { lock (_lock) return ListCalls.Count; }
    }

    public long CurrentRevision
    {
        get { lock (_lock) return _rv; }
    }

    private static T Copy<T>(T obj) => KubernetesJson.Deserialize<T>(KubernetesJson.Serialize(obj));

    private static string KeyOf(IKubernetesObject<V1ObjectMeta> o) => Indexers.KeyOf(o);

    // ---- test controls ----

    /// <summary>Ends every open watch normally (as a server timeout or a dropped connection does).</summary>
    public void EndWatches()
    {
        lock (_lock)
        {
            foreach (var w in _watchers) w.Channel.Writer.TryComplete();
        }
    }

    /// <summary>Sends every open watch an ERROR event with a 410 Expired status.</summary>
    public void ExpireWatches()
    {
        lock (_lock)
        {
            foreach (var w in _watchers)
            {
                w.Channel.Writer.TryWrite(new GoneException(KubeApiException.NewStatus(410, "Expired", "too old resource version")));
                w.Channel.Writer.TryComplete();
            }
        }
    }

    /// <summary>Forgets the history: watches from older versions get 410.</summary>
    public void Compact()
    {
        lock (_lock)
        {
            _compacted = _rv;
            _history.Clear();
        }
    }

    /// <summary>Sends a BOOKMARK at the current version to open watches of <typeparamref name="T"/>.</summary>
    public void Bookmark<T>()
        where T : class, IKubernetesObject<V1ObjectMeta>, new()
    {
        lock (_lock)
        {
            var mark = new T { Metadata = new V1ObjectMeta { ResourceVersion = _rv.ToString(CultureInfo.InvariantCulture) } };
            foreach (var w in _watchers.Where(w => w.Type == typeof(T))) w.Channel.Writer.TryWrite(new WatchEvent<T>(WatchEventType.Bookmark, mark));
        }
    }

    /// <summary>Pushes a raw event to open watches of <typeparamref name="T"/> (for duplicates and odd events).</summary>
    public void Push<T>(WatchEvent<T> ev)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        lock (_lock)
        {
            foreach (var w in _watchers.Where(w => w.Type == typeof(T))) w.Channel.Writer.TryWrite(ev);
        }
    }

    /// <summary>Creates, replaces or deletes (when <paramref name="delete"/>) an object without any watch event or history.</summary>
    public T? Silently<T>(T obj, bool delete = false)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        lock (_lock)
        {
            var key = (typeof(T), KeyOf(obj));
            if (delete)
            {
                _objects.Remove(key);
                return null;
            }

            var stored = Copy(obj);
            stored.Metadata.ResourceVersion = (++_rv).ToString(CultureInfo.InvariantCulture);
            _objects[key] = stored;
            return Copy(stored);
        }
    }

    // ---- IKubeClient ----

    public Task<T> GetAsync<T>(string name, string? @namespace = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        lock (_lock)
        {
            if (_objects.TryGetValue((typeof(T), Indexers.KeyOf(@namespace, name)), out var o)) return Task.FromResult(Copy((T)o));
        }

        throw NotFound<T>(name);
    }

    public Task<KubeList<T>> ListAsync<T>(string? @namespace = null, ListOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        options ??= new ListOptions();
        lock (_lock)
        {
            ListCalls.Add((@namespace, options));
            if (FailLists > 0)
            {
                FailLists--;
                throw new KubeApiException(KubeApiException.NewStatus(500, "InternalError", "injected list failure"));
            }

            var offset = 0;
            var rv = _rv;
            if (!string.IsNullOrEmpty(options.Continue))
            {
                var parts = options.Continue.Split(':');
                offset = int.Parse(parts[0], CultureInfo.InvariantCulture);
                rv = long.Parse(parts[1], CultureInfo.InvariantCulture);
                if (rv < _compacted) throw new GoneException(KubeApiException.NewStatus(410, "Expired", "continue token expired"));
            }

            var all = Matching<T>(@namespace, options).OrderBy(KeyOf, StringComparer.Ordinal).ToList();
            var limit = options.Limit is > 0 ? options.Limit.Value : int.MaxValue;
            var page = all.Skip(offset).Take(limit).Select(Copy).ToList();
            var next = offset + page.Count < all.Count ? $"{offset + page.Count}:{rv}" : null;
            return Task.FromResult(new KubeList<T>(page, rv.ToString(CultureInfo.InvariantCulture), next));
        }
    }

    public async IAsyncEnumerable<WatchEvent<T>> WatchAsync<T>(string? @namespace = null, ListOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        options ??= new ListOptions();
        var watcher = new Watcher(typeof(T), @namespace, options);
        lock (_lock)
        {
            WatchCalls.Add((@namespace, options));
            var from = string.IsNullOrEmpty(options.ResourceVersion) ? _rv : long.Parse(options.ResourceVersion, CultureInfo.InvariantCulture);
            if (from < _compacted) throw new GoneException(KubeApiException.NewStatus(410, "Expired", $"too old resource version: {from} ({_compacted})"));
            foreach (var h in _history.Where(h => h.Rv > from && h.Type == typeof(T)))
            {
                var obj = (T)h.Obj;
                if (watcher.Matches(obj)) watcher.Channel.Writer.TryWrite(new WatchEvent<T>(h.Kind, Copy(obj)));
            }

            _watchers.Add(watcher);
        }

        try
        {
            await foreach (var item in watcher.Channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (item is Exception ex) throw ex;
                yield return (WatchEvent<T>)item;
            }
        }
        finally
        {
            lock (_lock) _watchers.Remove(watcher);
        }
    }

    /// <summary>When set, creates wait for it (to simulate a slow server).</summary>
    public TaskCompletionSource? CreateGate { get; set; }

    public async Task<T> CreateAsync<T>(T obj, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        if (CreateGate is { } gate) await gate.Task.WaitAsync(cancellationToken);
        return CreateNow(obj);
    }

    private T CreateNow<T>(T obj)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        lock (_lock)
        {
            var key = (typeof(T), KeyOf(obj));
            if (_objects.ContainsKey(key))
                throw new AlreadyExistsException(KubeApiException.NewStatus(409, "AlreadyExists", $"\"{obj.Metadata.Name}\" already exists"));
            var stored = Copy(obj);
            stored.Metadata.Uid ??= Guid.NewGuid().ToString();
            return Commit(key, stored, WatchEventType.Added);
        }
    }

    public Task<T> UpdateAsync<T>(T obj, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        lock (_lock)
        {
            var key = (typeof(T), KeyOf(obj));
            if (!_objects.TryGetValue(key, out var current)) throw NotFound<T>(obj.Metadata.Name);
            var expected = obj.Metadata.ResourceVersion;
            if (!string.IsNullOrEmpty(expected) && expected != ((T)current).Metadata.ResourceVersion)
                throw new ConflictException(KubeApiException.NewStatus(409, "Conflict", $"Operation cannot be fulfilled on \"{obj.Metadata.Name}\": the object has been modified"));
            return Task.FromResult(Commit(key, Copy(obj), WatchEventType.Modified));
        }
    }

    public Task<T> UpdateStatusAsync<T>(T obj, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta> => UpdateAsync(obj, options, cancellationToken);

    public Task<T> PatchAsync<T>(string name, string? @namespace, KubePatch patch, string? subresource = null, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta> => throw new NotSupportedException("The in-memory test client does not patch.");

    public Task<T?> DeleteAsync<T>(string name, string? @namespace = null, DeleteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        lock (_lock)
        {
            var key = (typeof(T), Indexers.KeyOf(@namespace, name));
            if (!_objects.Remove(key, out var current)) throw NotFound<T>(name);
            var deleted = Copy((T)current);
            deleted.Metadata.ResourceVersion = (++_rv).ToString(CultureInfo.InvariantCulture);
            Record(WatchEventType.Deleted, deleted);
            return Task.FromResult<T?>(null);
        }
    }

    public Task CreateSubresourceAsync<T>(string name, string? @namespace, string subresource, object body, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta> => throw new NotSupportedException();

    // ---- internals (called under the lock) ----

    private T Commit<T>((Type, string) key, T stored, WatchEventType kind)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        stored.Metadata.ResourceVersion = (++_rv).ToString(CultureInfo.InvariantCulture);
        _objects[key] = stored;
        Record(kind, stored);
        return Copy(stored);
    }

    private void Record<T>(WatchEventType kind, T obj)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        _history.Add((_rv, typeof(T), kind, Copy(obj)));
        foreach (var w in _watchers)
        {
            if (w.Type == typeof(T) && w.Matches(obj)) w.Channel.Writer.TryWrite(new WatchEvent<T>(kind, Copy(obj)));
        }
    }

    private IEnumerable<T> Matching<T>(string? ns, ListOptions options)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var w = new Watcher(typeof(T), ns, options);
        return _objects.Where(kv => kv.Key.Type == typeof(T)).Select(kv => (T)kv.Value).Where(w.Matches);
    }

    private static NotFoundException NotFound<T>(string name) =>
        new(KubeApiException.NewStatus(404, "NotFound", $"{typeof(T).Name} \"{name}\" not found"));

    private sealed class Watcher(Type type, string? ns, ListOptions options)
    {
        private readonly LabelSelector _labels = LabelSelector.Parse(options.LabelSelector);
        private readonly FieldSelector _fields = FieldSelector.Parse(options.FieldSelector);

        public Type Type { get; } = type;

        public Channel<object> Channel { get; } = System.Threading.Channels.Channel.CreateUnbounded<object>();

        public bool Matches(IKubernetesObject<V1ObjectMeta> o) =>
            (string.IsNullOrEmpty(ns) || o.Metadata.NamespaceProperty == ns) && _labels.Matches(o.Metadata.Labels) && _fields.Matches(o);
    }
}
