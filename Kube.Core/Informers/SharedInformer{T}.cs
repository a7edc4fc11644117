using k8s;
using k8s.Models;
using Kube.Core.Client;
using WatchEventType = Kube.Core.Client.WatchEventType;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kube.Core.Informers;

/// <summary>
/// client-go's SharedIndexInformer: a reflector keeps <see cref="Cache"/> current, and every handler receives the
/// changes in order on its own dispatch loop.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Watch events update the cache and become OnAdd / OnUpdate / OnDelete. An event that repeats the cached
/// resourceVersion is dropped, so a resumed watch does not deliver duplicates.</item>
/// <item>A relist (initial, or after 410 Gone) is diffed against the cache: new objects are adds, changed ones
/// updates, and cached objects missing from the list are deletes with <c>finalStateUnknown = true</c>.</item>
/// <item>A handler added later first receives adds (with <c>isInInitialList = true</c>) for the cached objects.</item>
/// <item>With <see cref="InformerOptions.ResyncPeriod"/>, every cached object is re-delivered as OnUpdate(obj, obj).</item>
/// <item><see cref="HasSynced"/> turns true once the first list is in the cache and every handler registered at that
/// moment has processed it.</item>
/// </list>
/// Run it with <see cref="RunAsync"/> (or through <see cref="SharedInformerFactory"/>); it runs once.
/// </remarks>
public sealed partial class SharedInformer<T> : IInformer<T>, IRunnableInformer, IReflectorSink<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly Lock _gate = new();
    private readonly Indexer<T> _indexer = new();
    private readonly List<ProcessorListener<T>> _listeners = [];
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Reflector<T> _reflector;
    private readonly InformerMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly InformerOptions _options;
    private readonly ILogger _logger;
    private bool _listedOnce;
    private bool _stopped;
    private int _started;
    private volatile string? _lastSyncResourceVersion;

    public SharedInformer(IKubeClient client, string? @namespace = null, string? labelSelector = null, string? fieldSelector = null,
        InformerOptions? options = null, TimeProvider? time = null, ILogger<SharedInformer<T>>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        _options = options ?? new InformerOptions();
        _options.Validate();
        _time = time ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        Namespace = @namespace;
        LabelSelector = labelSelector;
        FieldSelector = fieldSelector;
        _metrics = new InformerMetrics(typeof(T).Name, @namespace, () => _indexer.Count);
        _reflector = new Reflector<T>(client, @namespace, labelSelector, fieldSelector, this, _time, _options, _logger, _metrics);
    }

    public string? Namespace { get; }

    public string? LabelSelector { get; }

    public string? FieldSelector { get; }

    public IIndexer<T> Cache => _indexer;

    public bool HasSynced => _synced.Task.IsCompleted;

    public string? LastSyncResourceVersion => _lastSyncResourceVersion;

    /// <summary>True between the start of <see cref="RunAsync"/> and its end.</summary>
    public bool IsRunning => Volatile.Read(ref _started) == 1 && !_stopped;

    /// <summary>How many complete lists the reflector made (1 after the first sync; more after 410 Gone).</summary>
    public int ListCount => _reflector.ListCount;

    public IDisposable AddEventHandler(IResourceEventHandler<T> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_gate)
        {
            var listener = new ProcessorListener<T>(handler, _logger, RemoveListener);
            foreach (var obj in _indexer.List()) listener.Enqueue(new Notification<T>(NotificationKind.Add, null, obj, true));
            if (_stopped) listener.Complete();
            else _listeners.Add(listener);
            return listener;
        }
    }

    public Task WaitForSyncAsync(CancellationToken cancellationToken) => _synced.Task.WaitAsync(cancellationToken);

    /// <summary>Lists, watches and dispatches until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <exception cref="InvalidOperationException">The informer was already started.</exception>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0) throw new InvalidOperationException("The informer was already started; an informer runs once.");
        ITimer? resync = null;
        if (_options.ResyncPeriod is { } period && period > TimeSpan.Zero)
            resync = _time.CreateTimer(static s => ((SharedInformer<T>)s!).Resync(), this, period, period);
        try
        {
            await _reflector.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            resync?.Dispose();
            _metrics.Dispose();
            lock (_gate)
            {
                _stopped = true;
                foreach (var l in _listeners) l.Complete();
                _listeners.Clear();
            }
        }
    }

    private void RemoveListener(ProcessorListener<T> listener)
    {
        lock (_gate) _listeners.Remove(listener);
    }

    private void Resync()
    {
        lock (_gate)
        {
            if (!_listedOnce || _stopped) return;
            foreach (var obj in _indexer.List()) Broadcast(new Notification<T>(NotificationKind.Update, obj, obj));
        }
    }

    private void Broadcast(in Notification<T> n)
    {
        foreach (var l in _listeners) l.Enqueue(n);
    }

    void IReflectorSink<T>.Replace(IReadOnlyList<T> items, string resourceVersion)
    {
        lock (_gate)
        {
            var initial = !_listedOnce;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var pending = new List<Notification<T>>();
            foreach (var obj in items)
            {
                var key = Indexers.KeyOf(obj);
                seen.Add(key);
                var old = _indexer.Get(key);
                if (old is null) pending.Add(new Notification<T>(NotificationKind.Add, null, obj, initial));
                else if (old.Metadata?.ResourceVersion != obj.Metadata?.ResourceVersion || string.IsNullOrEmpty(obj.Metadata?.ResourceVersion))
                    pending.Add(new Notification<T>(NotificationKind.Update, old, obj));
            }

            foreach (var old in _indexer.List())
            {
                if (!seen.Contains(Indexers.KeyOf(old))) pending.Add(new Notification<T>(NotificationKind.Delete, old, null, true));
            }

            _indexer.Replace(items);
            _lastSyncResourceVersion = resourceVersion;
            foreach (var n in pending) Broadcast(n);
            LogReplaced(_logger, typeof(T).Name, items.Count, pending.Count, resourceVersion);

            if (initial)
            {
                _listedOnce = true;
                var barriers = new List<Task>(_listeners.Count);
                foreach (var l in _listeners)
                {
                    var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    l.Enqueue(new Notification<T>(NotificationKind.Barrier, null, null, Barrier: tcs));
                    barriers.Add(tcs.Task);
                }

                Task.WhenAll(barriers).ContinueWith(static (_, s) => ((TaskCompletionSource)s!).TrySetResult(), _synced,
                    CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
    }

    void IReflectorSink<T>.Apply(WatchEvent<T> ev)
    {
        if (ev.Type == WatchEventType.Bookmark)
        {
            if (!string.IsNullOrEmpty(ev.ResourceVersion)) _lastSyncResourceVersion = ev.ResourceVersion;
            return;
        }

        var obj = ev.Object;
        if (obj is null) return;
        var key = Indexers.KeyOf(obj);
        lock (_gate)
        {
            var old = _indexer.Get(key);
            switch (ev.Type)
            {
                case WatchEventType.Added:
                case WatchEventType.Modified:
                    if (old is not null && !string.IsNullOrEmpty(obj.Metadata?.ResourceVersion) && old.Metadata?.ResourceVersion == obj.Metadata.ResourceVersion)
                        break; // a duplicate of what the cache holds
                    _indexer.Upsert(obj);
                    Broadcast(old is null
                        ? new Notification<T>(NotificationKind.Add, null, obj, false)
                        : new Notification<T>(NotificationKind.Update, old, obj));
                    break;
                case WatchEventType.Deleted:
                    if (_indexer.Remove(key) is not null) Broadcast(new Notification<T>(NotificationKind.Delete, obj, null, false));
                    break;
            }

            if (!string.IsNullOrEmpty(ev.ResourceVersion)) _lastSyncResourceVersion = ev.ResourceVersion;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Informer for {Type} replaced its cache with {Count} objects ({Changes} changes) at resourceVersion {ResourceVersion}")]
    private static partial void LogReplaced(ILogger logger, string type, int count, int changes, string resourceVersion);
}
