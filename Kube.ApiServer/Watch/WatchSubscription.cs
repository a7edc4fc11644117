namespace Kube.ApiServer.Watch;

/// <summary>A watcher and what to release when its reader is done.</summary>
internal sealed class WatchSubscription(Watcher watcher, WatchCache cache, bool ownsCache) : IAsyncDisposable
{
    public Watcher Watcher { get; } = watcher;

    public WatchCache Cache { get; } = cache;

    public async ValueTask DisposeAsync()
    {
        Cache.Unsubscribe(Watcher);
        if (ownsCache) await Cache.DisposeAsync().ConfigureAwait(false);
    }
}
