using System.Globalization;
using System.Text.Json.Nodes;
using Kube.ApiServer.Selectors;
using Kube.ApiServer.Watch;
using Kube.Core.Client;
using Kube.Store;

namespace Kube.ApiServer.Registry;

/// <summary>
/// Lists served from the resource's watch cache, as upstream's API server does:
/// <list type="bullet">
/// <item><c>resourceVersion=0</c>: whatever the cache holds, without waiting;</item>
/// <item><c>resourceVersion=N</c> (match unset or NotOlderThan): the cache once it is at N or newer;</item>
/// <item>no resourceVersion (ConsistentListFromCache, on by default since 1.31): the cache once it has caught up with the store's current
/// revision, checked by one keys-only read of the listed range (no values) that also counts the range;</item>
/// <item>the continuation of a paged list whose first page the cache served, from the same snapshot.</item>
/// </list>
/// Everything else (<c>resourceVersionMatch=Exact</c>, continuations of store pages, a cache that is not running, failed or does not catch
/// up within <see cref="CacheCatchUpTimeout"/>) is read from the store. Selectors and limits behave exactly as on the store path.
/// </summary>
internal sealed partial class GenericRegistry
{
    /// <summary>How long a list waits for the watch cache to catch up before reading the store: 3 s, as upstream's blockTimeout.</summary>
    internal static readonly TimeSpan CacheCatchUpTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Lists served by the watch cache (for tests and metrics).</summary>
    internal long CacheListCount => Interlocked.Read(ref _cacheLists);

    private long _cacheLists;

    private async ValueTask<(List<TItem> Items, long Revision, string? Continue)?> TryListFromCacheAsync<TItem>(RequestScope s, ListOptions o,
        ObjectFilter filter, byte[] start, byte[] end, long continueRevision, Func<byte[], long, JsonObject?, TItem> map, CancellationToken ct)
    {
        var cache = watchCaches.TryGetRunning(StorageTypeOf(s.Type));
        if (cache is not { KeepsState: true }) return null;
        CacheSnapshot? snapshot;
        if (continueRevision > 0)
        {
            snapshot = cache.SnapshotAt(continueRevision);
            // As from the store: a continuation at a compacted revision is 410 Expired, even if the cache could still serve it.
            if (snapshot is not null && continueRevision < (await storage.Store.StatusAsync(ct).ConfigureAwait(false)).CompactRevision) return null;
        }
        else if (o.ResourceVersionMatch == "Exact")
        {
            return null;
        }
        else if (o.ResourceVersion == "0")
        {
            snapshot = cache.Snapshot();
        }
        else if (!string.IsNullOrEmpty(o.ResourceVersion))
        {
            if (!long.TryParse(o.ResourceVersion, NumberStyles.None, CultureInfo.InvariantCulture, out var min)) return null;
            snapshot = cache.Snapshot();
            if (snapshot is not null && snapshot.Revision < min) snapshot = await ConsistentSnapshotAsync(cache, start, end, ct).ConfigureAwait(false);
            if (snapshot is not null && snapshot.Revision < min) snapshot = null;
        }
        else
        {
            snapshot = await ConsistentSnapshotAsync(cache, start, end, ct).ConfigureAwait(false);
        }
        if (snapshot is null) return null;
        Interlocked.Increment(ref _cacheLists);
        return Page(s, snapshot, cache, filter, start, end, o.Limit is > 0 ? o.Limit.Value : 0, map);
    }

    /// <summary>
    /// The cache's objects once they are known to equal the store's at its current revision R: no key in [start, end) was modified after
    /// the snapshot's revision, and the range holds as many keys as the snapshot (so nothing was deleted either). Reported at R.
    /// </summary>
    private async ValueTask<CacheSnapshot?> ConsistentSnapshotAsync(WatchCache cache, byte[] start, byte[] end, CancellationToken ct)
    {
        // A real clock, not the injected one: this only bounds a wait for the store's own watch, and under a fake clock it must still end.
        var clock = TimeProvider.System;
        var started = clock.GetTimestamp();
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var snapshot = cache.Snapshot();
            if (snapshot is null) return null;
            var (from, to) = snapshot.IndexRange(start, end);
            RangeResult probe;
            try
            {
                probe = await storage.Store.RangeAsync(new RangeRequest(start) { RangeEnd = end, KeysOnly = true, MinModRevision = snapshot.Revision + 1 }, ct)
                    .ConfigureAwait(false);
            }
            catch (StoreException)
            {
                return null;
            }
            if (probe.Kvs.Count == 0 && probe.Count == to - from) return snapshot.At(Math.Max(snapshot.Revision, probe.Header.Revision));
            var target = snapshot.Revision + 1;
            foreach (var kv in probe.Kvs) target = Math.Max(target, kv.ModRevision);
            var left = CacheCatchUpTimeout - clock.GetElapsedTime(started);
            if (left <= TimeSpan.Zero || !await cache.WaitForRevisionAsync(target, left, clock, ct).ConfigureAwait(false)) return null;
        }
        return null;
    }

    private (List<TItem> Items, long Revision, string? Continue) Page<TItem>(RequestScope s, CacheSnapshot snapshot, WatchCache cache, ObjectFilter filter,
        byte[] start, byte[] end, int limit, Func<byte[], long, JsonObject?, TItem> map)
    {
        var decode = filter.HasSelectors || Conv(s.Type) is not null;
        var (from, to) = snapshot.IndexRange(start, end);
        var items = new List<TItem>(limit > 0 ? Math.Min(limit, to - from) : to - from);
        for (var i = from; i < to; i++)
        {
            var kv = snapshot.Items[i];
            JsonObject? obj = null;
            if (decode)
            {
                obj = DecodeFor(s.Type, kv.Value, kv.ModRevision);
                if (!filter.Matches(obj)) continue;
            }
            items.Add(map(kv.Value, kv.ModRevision, obj));
            if (limit > 0 && items.Count >= limit)
            {
                if (i == to - 1) break;
                cache.Retain(snapshot);
                return (items, snapshot.Revision, ContinueToken.Encode(snapshot.Revision, [.. kv.Key, 0]));
            }
        }
        return (items, snapshot.Revision, null);
    }
}
