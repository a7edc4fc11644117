using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Kube.Store;

namespace Kube.ApiServer.Encryption;

/// <summary>
/// Encryption at rest as a store decorator: values under <c>/registry/&lt;resource&gt;/</c> for the configured resources
/// are encrypted on every put (also inside txns) with the first provider and decrypted on every read and watch event
/// by the provider whose prefix they carry. The store underneath (etcd, Kube.Store) only ever sees ciphertext.
/// </summary>
internal sealed class EncryptingKeyValueStore(IKeyValueStore inner, EncryptionConfiguration config) : IKeyValueStore
{
    private readonly (byte[] Prefix, IReadOnlyList<IValueProvider> Providers)[] _prefixes =
        config.ByResource.Select(kv => (Encoding.UTF8.GetBytes($"/registry/{kv.Key}/"), kv.Value)).ToArray();

    /// <summary><paramref name="store"/> wrapped when <paramref name="config"/> is set.</summary>
    public static IKeyValueStore Wrap(IKeyValueStore store, EncryptionConfiguration? config) =>
        config is null || config.ByResource.Count == 0 ? store : new EncryptingKeyValueStore(store, config);

    private IReadOnlyList<IValueProvider>? ProvidersFor(byte[] key)
    {
        foreach (var (prefix, providers) in _prefixes)
            if (key.AsSpan().StartsWith(prefix)) return providers;
        return null;
    }

    private byte[] Encrypt(byte[] key, byte[] value) => ProvidersFor(key) is { } p ? p[0].Encrypt(value, key) : value;

    private byte[] Decrypt(byte[] key, byte[] value)
    {
        if (value.Length == 0 || ProvidersFor(key) is not { } providers) return value;
        foreach (var p in providers)
        {
            if (p.TryDecrypt(value, key) is { } plain) return plain;
        }
        throw new CryptographicException($"no provider of the encryption configuration can decrypt {Encoding.UTF8.GetString(key)}");
    }

    private KeyValue? Out(KeyValue? kv) => kv is null ? null : kv with { Value = Decrypt(kv.Key, kv.Value) };

    private RangeResult Out(RangeResult r) => r with { Kvs = r.Kvs.Select(kv => Out(kv)!).ToList() };

    private PutRequest In(PutRequest p) => p.IgnoreValue ? p : p with { Value = Encrypt(p.Key, p.Value) };

    private TxnRequest In(TxnRequest t) => t with { Success = t.Success.Select(In).ToList(), Failure = t.Failure.Select(In).ToList() };

    private RequestOp In(RequestOp op) => op.Put is { } p ? op with { Put = In(p) } : op.Txn is { } t ? op with { Txn = In(t) } : op;

    private TxnResult Out(TxnResult t) => t with { Responses = t.Responses.Select(Out).ToList() };

    private ResponseOp Out(ResponseOp r) => r with
    {
        Range = r.Range is null ? null : Out(r.Range),
        Put = r.Put is null ? null : r.Put with { PrevKv = Out(r.Put.PrevKv) },
        DeleteRange = r.DeleteRange is null ? null : r.DeleteRange with { PrevKvs = r.DeleteRange.PrevKvs.Select(kv => Out(kv)!).ToList() },
        Txn = r.Txn is null ? null : Out(r.Txn),
    };

    public async ValueTask<RangeResult> RangeAsync(RangeRequest request, CancellationToken cancellationToken = default) =>
        Out(await inner.RangeAsync(request, cancellationToken).ConfigureAwait(false));

    public async ValueTask<PutResult> PutAsync(PutRequest request, CancellationToken cancellationToken = default)
    {
        var r = await inner.PutAsync(In(request), cancellationToken).ConfigureAwait(false);
        return r with { PrevKv = Out(r.PrevKv) };
    }

    public async ValueTask<DeleteRangeResult> DeleteRangeAsync(DeleteRangeRequest request, CancellationToken cancellationToken = default)
    {
        var r = await inner.DeleteRangeAsync(request, cancellationToken).ConfigureAwait(false);
        return r with { PrevKvs = r.PrevKvs.Select(kv => Out(kv)!).ToList() };
    }

    public async ValueTask<TxnResult> TxnAsync(TxnRequest request, CancellationToken cancellationToken = default) =>
        Out(await inner.TxnAsync(In(request), cancellationToken).ConfigureAwait(false));

    public async IAsyncEnumerable<WatchResponse> WatchAsync(WatchRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var r in inner.WatchAsync(request, cancellationToken).ConfigureAwait(false))
        {
            yield return r.Events.Count == 0
                ? r
                : r with { Events = r.Events.Select(e => e with { Kv = e.Type == EventType.Delete ? e.Kv : Out(e.Kv)!, PrevKv = Out(e.PrevKv) }).ToList() };
        }
    }

    public ValueTask<CompactResult> CompactAsync(long revision, CancellationToken cancellationToken = default) => inner.CompactAsync(revision, cancellationToken);

    public ValueTask<LeaseGrantResult> LeaseGrantAsync(long ttlSeconds, long id = 0, CancellationToken cancellationToken = default) =>
        inner.LeaseGrantAsync(ttlSeconds, id, cancellationToken);

    public ValueTask<ResponseHeader> LeaseRevokeAsync(long id, CancellationToken cancellationToken = default) => inner.LeaseRevokeAsync(id, cancellationToken);

    public ValueTask<LeaseKeepAliveResult> LeaseKeepAliveAsync(long id, CancellationToken cancellationToken = default) => inner.LeaseKeepAliveAsync(id, cancellationToken);

    public ValueTask<LeaseTimeToLiveResult> LeaseTimeToLiveAsync(long id, bool keys, CancellationToken cancellationToken = default) =>
        inner.LeaseTimeToLiveAsync(id, keys, cancellationToken);

    public ValueTask<StoreStatus> StatusAsync(CancellationToken cancellationToken = default) => inner.StatusAsync(cancellationToken);
}
