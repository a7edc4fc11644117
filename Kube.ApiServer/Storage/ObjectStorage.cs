using Kube.Store;

namespace Kube.ApiServer.Storage;

/// <summary>
/// The registry's view of the key-value store: get, list a prefix at a revision, and compare-and-swap
/// writes on the mod revision (create = mod revision 0).
/// </summary>
internal sealed class ObjectStorage(IKeyValueStore store)
{
    /// <summary>Newest revision written through this storage per parent path of the written keys (a list prefix, e.g. <c>/registry/pods/ns/</c>).</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _lastWrites = new(StringComparer.Ordinal);

    public IKeyValueStore Store => store;

    /// <summary>
    /// The revision of the newest create, update or delete made through this storage of a key directly under
    /// <paramref name="parent"/> (a <see cref="KeyLayout.ListPrefix"/> of a cluster-scoped resource or of one namespace),
    /// 0 when there was none: a watch cache that has reached it holds every write this API server made there.
    /// </summary>
    public long LastWriteRevision(string parent) => _lastWrites.TryGetValue(parent, out var revision) ? revision : 0;

    private long? Wrote(byte[] key, TxnResult r)
    {
        if (!r.Succeeded) return null;
        var revision = r.Header.Revision;
        var parent = System.Text.Encoding.UTF8.GetString(key, 0, key.AsSpan().LastIndexOf((byte)'/') + 1);
        _lastWrites.AddOrUpdate(parent, revision, (_, old) => Math.Max(old, revision));
        return revision;
    }

    public async ValueTask<StoredObject?> GetAsync(byte[] key, CancellationToken ct)
    {
        var r = await store.RangeAsync(new RangeRequest(key), ct).ConfigureAwait(false);
        if (r.Kvs.Count == 0) return null;
        var kv = r.Kvs[0];
        return new StoredObject(kv.Key, kv.Value, kv.ModRevision);
    }

    /// <summary>Reads up to <paramref name="limit"/> keys (0 = all) in [start, end) at a revision (0 = latest).</summary>
    public async ValueTask<(IReadOnlyList<KeyValue> Kvs, long Revision, bool More)> RangeAsync(
        byte[] start, byte[] end, long revision, long limit, CancellationToken ct)
    {
        var r = await store.RangeAsync(new RangeRequest(start) { RangeEnd = end, Revision = revision, Limit = limit }, ct).ConfigureAwait(false);
        return (r.Kvs, r.Header.Revision, r.More);
    }

    public async ValueTask<long> CurrentRevisionAsync(byte[] anyKey, CancellationToken ct)
    {
        var r = await store.RangeAsync(new RangeRequest(anyKey) { CountOnly = true }, ct).ConfigureAwait(false);
        return r.Header.Revision;
    }

    /// <summary>Creates the key; returns its revision, or null when it already exists.</summary>
    public async ValueTask<long?> CreateAsync(byte[] key, byte[] value, CancellationToken ct)
    {
        var r = await store.TxnAsync(new TxnRequest
        {
            Compares = [new Compare(key, CompareTarget.Mod, CompareResult.Equal) { ModRevision = 0 }],
            Success = [new RequestOp { Put = new PutRequest(key, value) }],
        }, ct).ConfigureAwait(false);
        return Wrote(key, r);
    }

    /// <summary>Replaces the key if its mod revision is still <paramref name="expected"/>; returns the new revision, or null on conflict.</summary>
    public async ValueTask<long?> UpdateAsync(byte[] key, byte[] value, long expected, CancellationToken ct)
    {
        var r = await store.TxnAsync(new TxnRequest
        {
            Compares = [new Compare(key, CompareTarget.Mod, CompareResult.Equal) { ModRevision = expected }],
            Success = [new RequestOp { Put = new PutRequest(key, value) }],
        }, ct).ConfigureAwait(false);
        return Wrote(key, r);
    }

    /// <summary>Deletes the key if its mod revision is still <paramref name="expected"/>; returns the deletion revision, or null on conflict.</summary>
    public async ValueTask<long?> DeleteAsync(byte[] key, long expected, CancellationToken ct)
    {
        var r = await store.TxnAsync(new TxnRequest
        {
            Compares = [new Compare(key, CompareTarget.Mod, CompareResult.Equal) { ModRevision = expected }],
            Success = [new RequestOp { DeleteRange = new DeleteRangeRequest(key) }],
        }, ct).ConfigureAwait(false);
        return Wrote(key, r);
    }
}
