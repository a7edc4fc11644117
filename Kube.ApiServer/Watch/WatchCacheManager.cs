using System.Collections.Concurrent;
using Kube.ApiServer.Registry;
using Kube.ApiServer.Selectors;
using Kube.ApiServer.Storage;
using Kube.Core.Resources;
using Microsoft.Extensions.Logging;

namespace Kube.ApiServer.Watch;

/// <summary>
/// One <see cref="WatchCache"/> per resource key prefix, created on first use. A watch from a version older
/// than the cache holds gets a store watch of its own, or 410 Expired when the store compacted that version.
/// </summary>
internal sealed class WatchCacheManager(ObjectStorage storage, ApiServerOptions options, ILoggerFactory loggers) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, WatchCache> _caches = new();
    private readonly SemaphoreSlim _createLock = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly ILogger _logger = loggers.CreateLogger<WatchCache>();
    private bool _disposed;

    public async ValueTask<WatchCache> GetAsync(ResourceType type, CancellationToken ct)
    {
        var key = KeyLayout.Prefix(type);
        if (_caches.TryGetValue(key, out var cache) && !cache.Failed) return cache;
        await _createLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_caches.TryGetValue(key, out cache) && !cache.Failed) return cache;
            if (cache is not null)
            {
                _caches.TryRemove(key, out _);
                await cache.DisposeAsync().ConfigureAwait(false);
            }
            cache = new WatchCache(type, storage, options.WatchCacheCapacity, options.WatchProgressInterval, _logger, keepsState: true);
            await cache.StartAsync(0, ct).ConfigureAwait(false);
            _caches[key] = cache;
            return cache;
        }
        finally
        {
            _createLock.Release();
        }
    }

    /// <summary>The resource's running cache (with its objects loaded), or null when none runs yet or it failed.</summary>
    public WatchCache? TryGetRunning(ResourceType type) =>
        !_disposed && _caches.TryGetValue(KeyLayout.Prefix(type), out var cache) && !cache.Failed ? cache : null;

    /// <summary>
    /// Starts the resource's cache unless it runs, without waiting for it: a list calls this so that the watch that
    /// follows (an informer's list-then-watch) is usually served by the shared cache. Never waiting keeps lists off the
    /// creation lock; it is still correct when the watch comes first, since a watch from a revision older than the cache
    /// gets a store watch of its own.
    /// </summary>
    public void StartInBackground(ResourceType type)
    {
        if (_disposed || (_caches.TryGetValue(KeyLayout.Prefix(type), out var cache) && !cache.Failed)) return;
        _ = StartQuietlyAsync(type);
    }

    private async Task StartQuietlyAsync(ResourceType type)
    {
        try
        {
            await GetAsync(type, _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or Kube.Store.StoreException)
        {
            _logger.LogDebug("The watch cache of {Resource} did not start: {Error}", type.GroupResource, e.Message);
        }
    }

    public async ValueTask<WatchSubscription> SubscribeAsync(ResourceType type, long fromRevision, ObjectFilter filter,
        Func<System.Text.Json.Nodes.JsonObject, System.Text.Json.Nodes.JsonObject>? view, CancellationToken ct)
    {
        var cache = await GetAsync(type, ct).ConfigureAwait(false);
        var w = cache.Subscribe(fromRevision, filter, options.WatcherBufferSize, view);
        if (w is not null) return new WatchSubscription(w, cache, ownsCache: false);

        var status = await storage.Store.StatusAsync(ct).ConfigureAwait(false);
        if (fromRevision < status.CompactRevision)
            throw Errors.Expired($"too old resource version: {fromRevision} ({status.CompactRevision})");
        var own = new WatchCache(type, storage, options.WatcherBufferSize, options.WatchProgressInterval, _logger);
        await own.StartAsync(fromRevision, ct).ConfigureAwait(false);
        w = own.Subscribe(fromRevision, filter, options.WatcherBufferSize, view);
        if (w is null)
        {
            await own.DisposeAsync().ConfigureAwait(false);
            throw Errors.Expired($"too old resource version: {fromRevision}");
        }
        return new WatchSubscription(w, own, ownsCache: true);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _createLock.WaitAsync().ConfigureAwait(false);
        try
        {
            _disposed = true;
            foreach (var c in _caches.Values) await c.DisposeAsync().ConfigureAwait(false);
            _caches.Clear();
            _stopping.Dispose();
        }
        finally
        {
            _createLock.Release();
        }
    }
}
