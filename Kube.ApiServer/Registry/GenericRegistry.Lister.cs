using Kube.ApiServer.Storage;
using Kube.ApiServer.Watch;
using Kube.Core.Resources;
using Kube.Store;

namespace Kube.ApiServer.Registry;

/// <summary>
/// Reads of the watch caches' objects without a store read, for the API server's own admission (upstream's admission
/// plugins read through shared informers' listers). Unlike an informer, a read first lets the cache catch up with every
/// write this API server made in the range it reads (at most <see cref="ListerCatchUpTimeout"/>), so a plugin sees the
/// LimitRange or PriorityClass created just before; writes by other API servers sharing the store are seen once the
/// cache's watch delivers them, as through upstream's informers. A resource whose cache does not run yet gets it started
/// in the background and is read live meanwhile.
/// </summary>
internal sealed partial class GenericRegistry
{
    /// <summary>How long a lister read waits for the cache to catch up before the caller reads live instead: 1 s.</summary>
    internal static readonly TimeSpan ListerCatchUpTimeout = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The cached objects of <paramref name="type"/> (of namespace <paramref name="ns"/> when namespaced; a namespaced type
    /// needs one), as stored, or null when they cannot be read from the cache: read them live.
    /// </summary>
    internal async ValueTask<IReadOnlyList<KeyValue>?> CachedObjectsAsync(ResourceType type, string? ns, CancellationToken ct)
    {
        if (await ListerSnapshotAsync(type, ns, ct).ConfigureAwait(false) is not { } snapshot) return null;
        var prefix = KeyLayout.Bytes(KeyLayout.ListPrefix(type, ns));
        var (from, to) = snapshot.IndexRange(prefix, KeyLayout.PrefixEnd(prefix));
        var items = new List<KeyValue>(to - from);
        for (var i = from; i < to; i++) items.Add(snapshot.Items[i]);
        return items;
    }

    /// <summary>
    /// One cached object as stored: found, not found (<c>Known</c> with a null value), or unknown when the cache cannot
    /// answer (read it live).
    /// </summary>
    internal async ValueTask<(bool Known, KeyValue? Value)> CachedObjectAsync(ResourceType type, string? ns, string name, CancellationToken ct)
    {
        if (await ListerSnapshotAsync(type, ns, ct).ConfigureAwait(false) is not { } snapshot) return (false, null);
        var key = KeyLayout.Bytes(KeyLayout.Key(type, type.Namespaced ? ns : null, name));
        var i = snapshot.LowerBound(key);
        return (true, i < snapshot.Items.Count && snapshot.Items[i].Key.AsSpan().SequenceEqual(key) ? snapshot.Items[i] : null);
    }

    private async ValueTask<CacheSnapshot?> ListerSnapshotAsync(ResourceType type, string? ns, CancellationToken ct)
    {
        if (type.Namespaced && string.IsNullOrEmpty(ns)) return null;
        if (Conv(type) is not null) return null;
        var cache = watchCaches.TryGetRunning(type);
        if (cache is not { KeepsState: true })
        {
            watchCaches.StartInBackground(type);
            return null;
        }
        var written = storage.LastWriteRevision(KeyLayout.ListPrefix(type, ns));
        // A real clock: this bounds a wait for the store's own watch, which must end under a fake clock too.
        if (cache.CurrentRevision < written && !await cache.WaitForRevisionAsync(written, ListerCatchUpTimeout, TimeProvider.System, ct).ConfigureAwait(false))
            return null;
        return cache.Snapshot();
    }
}
