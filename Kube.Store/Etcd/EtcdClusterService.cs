using Grpc.Core;
using Microsoft.Extensions.Options;
using V3 = Kube.Store.Etcd.Protocol;

namespace Kube.Store.Etcd;

/// <summary>etcd's Cluster service: MemberList with this one member. Its client URL is the address the caller reached.</summary>
internal sealed class EtcdClusterService(IKeyValueStore store, IOptions<StoreOptions> options) : V3.Cluster.ClusterBase
{
    public override async Task<V3.MemberListResponse> MemberList(V3.MemberListRequest request, ServerCallContext context)
    {
        StoreStatus status;
        try
        {
            status = await store.StatusAsync(context.CancellationToken).ConfigureAwait(false);
        }
        catch (StoreException ex)
        {
            throw EtcdErrors.ToRpc(ex);
        }
        var member = new V3.Member { ID = status.Header.MemberId, Name = options.Value.MemberName, IsLearner = status.IsLearner };
        var http = context.GetHttpContext();
        if (http.Connection.LocalIpAddress is { } ip)
        {
            var host = ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ip}]" : ip.ToString();
            member.ClientURLs.Add($"{(http.Request.IsHttps ? "https" : "http")}://{host}:{http.Connection.LocalPort}");
        }
        return new V3.MemberListResponse { Header = EtcdMapping.ToPb(status.Header), Members = { member } };
    }
}
