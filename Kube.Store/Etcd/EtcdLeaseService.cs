using Grpc.Core;
using V3 = Kube.Store.Etcd.Protocol;

namespace Kube.Store.Etcd;

/// <summary>etcd's Lease service over <see cref="IKeyValueStore"/>.</summary>
internal sealed class EtcdLeaseService(IKeyValueStore store) : V3.Lease.LeaseBase
{
    public override async Task<V3.LeaseGrantResponse> LeaseGrant(V3.LeaseGrantRequest request, ServerCallContext context)
    {
        if (request.TTL > 9_000_000_000)
        {
            throw new RpcException(new Status(StatusCode.OutOfRange, "etcdserver: too large lease TTL"));
        }
        try
        {
            var r = await store.LeaseGrantAsync(request.TTL, request.ID, context.CancellationToken).ConfigureAwait(false);
            return new V3.LeaseGrantResponse { Header = EtcdMapping.ToPb(r.Header), ID = r.Id, TTL = r.Ttl };
        }
        catch (StoreException ex)
        {
            throw EtcdErrors.ToRpc(ex);
        }
    }

    public override async Task<V3.LeaseRevokeResponse> LeaseRevoke(V3.LeaseRevokeRequest request, ServerCallContext context)
    {
        try
        {
            var header = await store.LeaseRevokeAsync(request.ID, context.CancellationToken).ConfigureAwait(false);
            return new V3.LeaseRevokeResponse { Header = EtcdMapping.ToPb(header) };
        }
        catch (StoreException ex)
        {
            throw EtcdErrors.ToRpc(ex);
        }
    }

    public override async Task LeaseKeepAlive(IAsyncStreamReader<V3.LeaseKeepAliveRequest> requestStream,
        IServerStreamWriter<V3.LeaseKeepAliveResponse> responseStream, ServerCallContext context)
    {
        try
        {
            await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
            {
                var r = await store.LeaseKeepAliveAsync(request.ID, context.CancellationToken).ConfigureAwait(false);
                await responseStream.WriteAsync(new V3.LeaseKeepAliveResponse { Header = EtcdMapping.ToPb(r.Header), ID = r.Id, TTL = r.Ttl },
                    context.CancellationToken).ConfigureAwait(false);
            }
        }
        catch (StoreException ex)
        {
            throw EtcdErrors.ToRpc(ex);
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
        }
    }

    public override async Task<V3.LeaseTimeToLiveResponse> LeaseTimeToLive(V3.LeaseTimeToLiveRequest request, ServerCallContext context)
    {
        try
        {
            var r = await store.LeaseTimeToLiveAsync(request.ID, request.Keys, context.CancellationToken).ConfigureAwait(false);
            var response = new V3.LeaseTimeToLiveResponse { Header = EtcdMapping.ToPb(r.Header), ID = r.Id, TTL = r.Ttl, GrantedTTL = r.GrantedTtl };
            foreach (var key in r.Keys)
            {
                response.Keys.Add(Google.Protobuf.ByteString.CopyFrom(key));
            }
            return response;
        }
        catch (StoreException ex)
        {
            throw EtcdErrors.ToRpc(ex);
        }
    }
}
