using Grpc.Core;
using Kube.Store.Cluster;
using Kube.Store.Hosting;
using Microsoft.Extensions.Options;
using V3 = Kube.Store.Etcd.Protocol;

namespace Kube.Store.Etcd;

/// <summary>
/// etcd's Cluster service. A replicated store lists its member registry and changes it through the log (one change at a time,
/// learners and promotion included). A single-member store lists itself, with the address the caller reached as client URL; one
/// that serves its peer URLs becomes a one-voter Raft member at its first change (as etcd's single member already is), others
/// refuse changes.
/// </summary>
internal sealed class EtcdClusterService(IKeyValueStore store, IOptions<StoreOptions> options) : V3.Cluster.ClusterBase
{
    public override async Task<V3.MemberListResponse> MemberList(V3.MemberListRequest request, ServerCallContext context)
    {
        var (status, cluster) = await StateAsync(context).ConfigureAwait(false);
        var response = new V3.MemberListResponse { Header = EtcdMapping.ToPb(status.Header) };
        if (cluster is { IsReplicated: true })
        {
            response.Members.AddRange(cluster.Members.Select(m => ToPb(m, m.Id == status.Header.MemberId ? LocalUrl(context) : null)));
            return response;
        }
        var member = new V3.Member { ID = status.Header.MemberId, Name = options.Value.MemberName, IsLearner = status.IsLearner };
        if (cluster is not null)
        {
            member.PeerURLs.AddRange(cluster.Members.Where(m => m.Id == member.ID).SelectMany(m => m.PeerUrls));
        }
        if (LocalUrl(context) is { } url)
        {
            member.ClientURLs.Add(url);
        }
        response.Members.Add(member);
        return response;
    }

    public override async Task<V3.MemberAddResponse> MemberAdd(V3.MemberAddRequest request, ServerCallContext context)
    {
        var cluster = await ReplicatedAsync(context).ConfigureAwait(false);
        try
        {
            var (added, members) = await cluster.AddMemberAsync([.. request.PeerURLs], request.IsLearner, context.CancellationToken).ConfigureAwait(false);
            var status = await store.StatusAsync(context.CancellationToken).ConfigureAwait(false);
            var response = new V3.MemberAddResponse { Header = EtcdMapping.ToPb(status.Header), Member = ToPb(added, null) };
            response.Members.AddRange(members.Select(m => ToPb(m, null)));
            return response;
        }
        catch (StoreException ex)
        {
            throw EtcdErrors.ToRpc(ex);
        }
    }

    public override async Task<V3.MemberRemoveResponse> MemberRemove(V3.MemberRemoveRequest request, ServerCallContext context)
    {
        var cluster = await ReplicatedAsync(context).ConfigureAwait(false);
        try
        {
            var members = await cluster.RemoveMemberAsync(request.ID, context.CancellationToken).ConfigureAwait(false);
            var status = await store.StatusAsync(context.CancellationToken).ConfigureAwait(false);
            var response = new V3.MemberRemoveResponse { Header = EtcdMapping.ToPb(status.Header) };
            response.Members.AddRange(members.Select(m => ToPb(m, null)));
            return response;
        }
        catch (StoreException ex)
        {
            throw EtcdErrors.ToRpc(ex);
        }
    }

    public override async Task<V3.MemberPromoteResponse> MemberPromote(V3.MemberPromoteRequest request, ServerCallContext context)
    {
        var cluster = await ReplicatedAsync(context).ConfigureAwait(false);
        try
        {
            var members = await cluster.PromoteMemberAsync(request.ID, context.CancellationToken).ConfigureAwait(false);
            var status = await store.StatusAsync(context.CancellationToken).ConfigureAwait(false);
            var response = new V3.MemberPromoteResponse { Header = EtcdMapping.ToPb(status.Header) };
            response.Members.AddRange(members.Select(m => ToPb(m, null)));
            return response;
        }
        catch (StoreException ex)
        {
            throw EtcdErrors.ToRpc(ex);
        }
    }

    public override async Task<V3.MemberUpdateResponse> MemberUpdate(V3.MemberUpdateRequest request, ServerCallContext context)
    {
        var cluster = await ReplicatedAsync(context).ConfigureAwait(false);
        try
        {
            var members = await cluster.UpdateMemberAsync(request.ID, [.. request.PeerURLs], context.CancellationToken).ConfigureAwait(false);
            var status = await store.StatusAsync(context.CancellationToken).ConfigureAwait(false);
            var response = new V3.MemberUpdateResponse { Header = EtcdMapping.ToPb(status.Header) };
            response.Members.AddRange(members.Select(m => ToPb(m, null)));
            return response;
        }
        catch (StoreException ex)
        {
            throw EtcdErrors.ToRpc(ex);
        }
    }

    private async Task<(StoreStatus Status, IStoreCluster? Cluster)> StateAsync(ServerCallContext context)
    {
        try
        {
            var status = await store.StatusAsync(context.CancellationToken).ConfigureAwait(false);
            IStoreCluster? cluster = store switch
            {
                KubeStoreService hosted => await hosted.ClusterAsync(context.CancellationToken).ConfigureAwait(false),
                IStoreCluster direct => direct,
                _ => null,
            };
            return (status, cluster);
        }
        catch (StoreException ex)
        {
            throw EtcdErrors.ToRpc(ex);
        }
    }

    private async Task<IStoreCluster> ReplicatedAsync(ServerCallContext context)
    {
        var (_, cluster) = await StateAsync(context).ConfigureAwait(false);
        if (cluster is not { CanChangeMembership: true })
        {
            throw new RpcException(new Status(StatusCode.Unimplemented,
                "etcdserver: membership changes need a replicated store (start each member with --initial-cluster naming all of them)"));
        }
        return cluster;
    }

    private static V3.Member ToPb(ClusterMember m, string? localUrl)
    {
        var pb = new V3.Member { ID = m.Id, Name = m.Name, IsLearner = m.IsLearner };
        pb.PeerURLs.AddRange(m.PeerUrls);
        if (m.ClientUrls.Count > 0)
        {
            pb.ClientURLs.AddRange(m.ClientUrls);
        }
        else if (localUrl is not null)
        {
            pb.ClientURLs.Add(localUrl);
        }
        return pb;
    }

    private static string? LocalUrl(ServerCallContext context)
    {
        var http = context.GetHttpContext();
        if (http.Connection.LocalIpAddress is not { } ip)
        {
            return null;
        }
        var host = ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ip}]" : ip.ToString();
        return $"{(http.Request.IsHttps ? "https" : "http")}://{host}:{http.Connection.LocalPort}";
    }
}
