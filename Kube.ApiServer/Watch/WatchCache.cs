using System.Collections.Immutable;
using Kube.ApiServer.Selectors;
using Kube.ApiServer.Storage;
using Kube.Core.Client;
using Kube.Core.Resources;
using Kube.Store;
using Microsoft.Extensions.Logging;

namespace Kube.ApiServer.Watch;

/// <summary>
/// One store watch on a resource's key prefix, fanned out to any number of <see cref="Watcher"/>s. Keeps the
/// last <c>capacity</c> events so that a watcher can start from a recent resourceVersion without a store watch
/// of its own. Events are decoded once and serialized at most once for all watchers. A cache that keeps state (the
/// shared one per resource) also holds every object of the resource, as stored, so lists can be served from it
/// (upstream's watch cache) without reading the store.
/// </summary>
internal sealed class WatchCache : IAsyncDisposable
{
    private readonly ResourceType _type;
    private readonly ObjectStorage _storage;
    private readonly ILogger _logger;
    private readonly TimeSpan _progressInterval;
    private readonly byte[] _prefix;
    private readonly byte[] _prefixEnd;
    private readonly CacheEvent?[] _ring;
    private readonly List<Watcher> _watchers = [];
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _cts = new();
    private int _disposed;
    private int _head;
    private int _count;
    private long _startRevision;
    private long _currentRevision;
    private Task? _pump;
    private ImmutableList<KeyValue>? _items;
    private TaskCompletionSource _advanced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CacheSnapshot?[] _retained = new CacheSnapshot?[8];
    private int _retainNext;

    /// <param name="keepsState">Load every object of the resource at start and keep them current (<see cref="Snapshot"/>).</param>
    public WatchCache(ResourceType type, ObjectStorage storage, int capacity, TimeSpan progressInterval, ILogger logger, bool keepsState = false)
    {
        KeepsState = keepsState;
        _type = type;
        _storage = storage;
        _logger = logger;
        _progressInterval = progressInterval;
        _prefix = KeyLayout.Bytes(KeyLayout.Prefix(type));
        _prefixEnd = KeyLayout.PrefixEnd(_prefix);
        _ring = new CacheEvent?[Math.Max(16, capacity)];
    }

    public bool KeepsState { get; }

    /// <summary>True once the store watch failed; the manager replaces a failed cache.</summary>
    public bool Failed { get; private set; }

    public int WatcherCount
    {
        get
        {
            lock (_gate) return _watchers.Count;
        }
    }

    /// <summary>The newest revision the cache has seen (events or progress notifications).</summary>
    public long CurrentRevision
    {
        get
        {
            lock (_gate) return _currentRevision;
        }
    }

    /// <summary>
    /// Starts the store watch after <paramref name="afterRevision"/>, or after the current revision when 0 (a cache
    /// that keeps state first reads every object of the resource at that revision).
    /// </summary>
    public async Task StartAsync(long afterRevision, CancellationToken ct)
    {
        if (afterRevision <= 0 && KeepsState)
        {
            var (kvs, revision, _) = await _storage.RangeAsync(_prefix, _prefixEnd, 0, 0, ct).ConfigureAwait(false);
            afterRevision = revision;
            _items = ImmutableList.CreateRange(kvs);
        }
        if (afterRevision <= 0) afterRevision = await _storage.CurrentRevisionAsync(_prefix, ct).ConfigureAwait(false);
        _startRevision = afterRevision;
        _currentRevision = afterRevision;
        var request = new WatchRequest(_prefix)
        {
            RangeEnd = _prefixEnd,
            StartRevision = afterRevision + 1,
            PrevKv = true,
            ProgressNotify = true,
            ProgressInterval = _progressInterval,
        };
        var stream = _storage.Store.WatchAsync(request, _cts.Token).GetAsyncEnumerator(_cts.Token);
        // Pull the first item on the pump, but surface compaction of the start revision now.
        _pump = Task.Run(() => PumpAsync(stream), CancellationToken.None);
        await Task.Yield();
    }

    private async Task PumpAsync(IAsyncEnumerator<WatchResponse> stream)
    {
        Exception? error = null;
        try
        {
            while (await stream.MoveNextAsync().ConfigureAwait(false))
            {
                var response = stream.Current;
                var decoded = new List<CacheEvent>(response.Events.Count);
                foreach (var e in response.Events)
                {
                    try
                    {
                        decoded.Add(Decode(e));
                    }
                    catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException)
                    {
                        _logger.LogWarning(ex, "Skipping undecodable value at {Key} revision {Revision}", System.Text.Encoding.UTF8.GetString(e.Kv.Key), e.Kv.ModRevision);
                    }
                }
                lock (_gate)
                {
                    if (_items is not null) _items = ApplyState(_items, response.Events);
                    foreach (var ce in decoded)
                    {
                        Append(ce);
                        for (var i = _watchers.Count - 1; i >= 0; i--)
                        {
                            if (!_watchers[i].Offer(ce)) _watchers.RemoveAt(i);
                        }
                        if (ce.Revision > _currentRevision) _currentRevision = ce.Revision;
                    }
                    if (response.Header.Revision > _currentRevision) _currentRevision = response.Header.Revision;
                    SignalLocked();
                }
            }
        }
        catch (OperationCanceledException) when (_cts.IsCancellationRequested)
        {
        }
        catch (StoreException e) when (e.Code == StoreErrorCode.Compacted)
        {
            error = Registry.Errors.Expired($"too old resource version: {_startRevision} ({e.CompactRevision})");
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "The store watch of {Resource} failed", _type.GroupResource);
            error = e;
        }
        finally
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
        lock (_gate)
        {
            Failed = true;
            SignalLocked();
            foreach (var w in _watchers) w.Close(error ?? new OperationCanceledException("the watch cache stopped"));
            _watchers.Clear();
        }
    }

    private static ImmutableList<KeyValue> ApplyState(ImmutableList<KeyValue> items, IReadOnlyList<Kube.Store.WatchEvent> events)
    {
        foreach (var e in events)
        {
            var i = items.BinarySearch(e.Kv, CacheSnapshot.KeyOrder);
            if (e.Type == EventType.Delete)
            {
                if (i >= 0) items = items.RemoveAt(i);
            }
            else
            {
                items = i >= 0 ? items.SetItem(i, e.Kv) : items.Insert(~i, e.Kv);
            }
        }
        return items;
    }

    private void SignalLocked()
    {
        var advanced = _advanced;
        _advanced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        advanced.TrySetResult();
    }

    /// <summary>The objects as of the newest revision seen, or null when the cache keeps no state or has failed.</summary>
    public CacheSnapshot? Snapshot()
    {
        lock (_gate) return _items is null || Failed ? null : new CacheSnapshot(_items, _currentRevision);
    }

    /// <summary>Keeps <paramref name="snapshot"/> (one of the last 8) so that the continuation of a paged list at its revision is served from it.</summary>
    public void Retain(CacheSnapshot snapshot)
    {
        lock (_gate)
        {
            foreach (var r in _retained)
            {
                if (r?.Revision == snapshot.Revision) return;
            }
            _retained[_retainNext] = snapshot;
            _retainNext = (_retainNext + 1) % _retained.Length;
        }
    }

    /// <summary>A retained snapshot at exactly <paramref name="revision"/>, or null.</summary>
    public CacheSnapshot? SnapshotAt(long revision)
    {
        lock (_gate)
        {
            if (Failed) return null;
            foreach (var r in _retained)
            {
                if (r?.Revision == revision) return r;
            }
            return null;
        }
    }

    /// <summary>
    /// Waits until the cache has seen <paramref name="revision"/> (events or progress); false when <paramref name="timeout"/>
    /// passed first or the cache failed.
    /// </summary>
    public async ValueTask<bool> WaitForRevisionAsync(long revision, TimeSpan timeout, TimeProvider time, CancellationToken ct)
    {
        var started = time.GetTimestamp();
        for (var i = 0; i < 10_000; i++)
        {
            Task advanced;
            lock (_gate)
            {
                if (_currentRevision >= revision) return true;
                if (Failed) return false;
                advanced = _advanced.Task;
            }
            var left = timeout - time.GetElapsedTime(started);
            if (left <= TimeSpan.Zero) return false;
            try
            {
                await advanced.WaitAsync(left, time, ct).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return false;
            }
        }
        return false;
    }

    private CacheEvent Decode(Kube.Store.WatchEvent e)
    {
        var rev = e.Kv.ModRevision;
        if (e.Type == EventType.Delete)
        {
            if (e.PrevKv is null) throw new InvalidOperationException("a delete event without the previous value");
            var last = ObjectCodec.Decode(e.PrevKv.Value, rev);
            return new CacheEvent(rev, WatchEventType.Deleted, new ObjectSnapshot(last), e.PrevKv.Value, e.PrevKv.ModRevision);
        }
        var obj = ObjectCodec.Decode(e.Kv.Value, rev);
        return e.PrevKv is null || e.Kv.CreateRevision == rev
            ? new CacheEvent(rev, WatchEventType.Added, new ObjectSnapshot(obj), null, 0)
            : new CacheEvent(rev, WatchEventType.Modified, new ObjectSnapshot(obj), e.PrevKv.Value, e.PrevKv.ModRevision);
    }

    private void Append(CacheEvent e)
    {
        var index = (_head + _count) % _ring.Length;
        _ring[index] = e;
        if (_count < _ring.Length) _count++;
        else _head = (_head + 1) % _ring.Length;
    }

    /// <summary>
    /// Adds a watcher that receives every event after <paramref name="fromRevision"/> that passes the filter,
    /// or returns null when that revision is older than the cache holds (or the cache failed).
    /// </summary>
    public Watcher? Subscribe(long fromRevision, ObjectFilter filter, int capacity, Func<System.Text.Json.Nodes.JsonObject, System.Text.Json.Nodes.JsonObject>? view = null)
    {
        lock (_gate)
        {
            if (Failed) return null;
            var oldest = _count == _ring.Length ? _ring[_head]!.Revision - 1 : _startRevision;
            if (fromRevision < oldest) return null;
            var w = new Watcher(filter, fromRevision, Math.Max(capacity, _count + 16), view);
            for (var i = 0; i < _count; i++)
            {
                var e = _ring[(_head + i) % _ring.Length]!;
                if (e.Revision > fromRevision && !w.Offer(e)) return null;
            }
            _watchers.Add(w);
            return w;
        }
    }

    public void Unsubscribe(Watcher w)
    {
        lock (_gate) _watchers.Remove(w);
        w.Close();
    }

    public async ValueTask DisposeAsync()
    {
        // Idempotent: a failed cache is disposed when it is replaced and may be disposed again with its manager.
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _cts.Cancel();
        if (_pump is not null)
        {
            try
            {
                await _pump.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
        _cts.Dispose();
    }
}
