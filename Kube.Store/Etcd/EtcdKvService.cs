using Grpc.Core;
using V3 = Kube.Store.Etcd.Protocol;

namespace Kube.Store.Etcd;

/// <summary>etcd's KV service over <see cref="IKeyValueStore"/>.</summary>
internal sealed class EtcdKvService(IKeyValueStore store) : V3.KV.KVBase
{
    public override async Task<V3.RangeResponse> Range(V3.RangeRequest request, ServerCallContext context)
    {
        try
        {
            return EtcdMapping.ToPb(await store.RangeAsync(EtcdMapping.FromPb(request), context.CancellationToken).ConfigureAwait(false));
        }
        catch (StoreException ex)
        {
            throw EtcdErrors.ToRpc(ex);
        }
    }

    public override async Task<V3.PutResponse> Put(V3.PutRequest request, ServerCallContext context)
    {
        try
        {
            return EtcdMapping.ToPb(await store.PutAsync(EtcdMapping.FromPb(request), context.CancellationToken).ConfigureAwait(false));
        }
        catch (StoreException ex)
        {
            throw EtcdErrors.ToRpc(ex);
        }
    }

    public override async Task<V3.DeleteRangeResponse> DeleteRange(V3.DeleteRangeRequest request, ServerCallContext context)
    {
        try
        {
            return EtcdMapping.ToPb(await store.DeleteRangeAsync(EtcdMapping.FromPb(request), context.CancellationToken).ConfigureAwait(false));
        }
        catch (StoreException ex)
        {
            throw EtcdErrors.ToRpc(ex);
        }
    }

    public override async Task<V3.TxnResponse> Txn(V3.TxnRequest request, ServerCallContext context)
    {
        try
        {
            return EtcdMapping.ToPb(await store.TxnAsync(EtcdMapping.FromPb(request), context.CancellationToken).ConfigureAwait(false));
        }
        catch (StoreException ex)
        {
            throw EtcdErrors.ToRpc(ex);
        }
    }

    public override async Task<V3.CompactionResponse> Compact(V3.CompactionRequest request, ServerCallContext context)
    {
        try
        {
            var result = await store.CompactAsync(request.Revision, context.CancellationToken).ConfigureAwait(false);
            return new V3.CompactionResponse { Header = EtcdMapping.ToPb(result.Header) };
        }
        catch (StoreException ex)
        {
            throw EtcdErrors.ToRpc(ex);
        }
    }
}
