using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Kube.Store.Etcd;

/// <summary>A ready-made store member serving etcd's v3 gRPC API: what <c>kube-host store</c> runs.</summary>
public static class EtcdServer
{
    /// <summary>
    /// Builds a web application that opens the embedded store from <paramref name="options"/> and serves etcd's API on each
    /// client endpoint (cleartext HTTP/2 only, as etcd clients expect). Run it with <c>RunAsync</c> (stops on Ctrl+C/SIGTERM)
    /// or <c>StartAsync</c>/<c>StopAsync</c>. <paramref name="configure"/> may adjust the builder (logging, extra services).
    /// </summary>
    public static WebApplication Create(StoreOptions options, IEnumerable<IPEndPoint> clientEndpoints, Action<WebApplicationBuilder>? configure = null) =>
        Create(options, clientEndpoints, [], configure);

    /// <summary>
    /// As <see cref="Create(StoreOptions, IEnumerable{IPEndPoint}, Action{WebApplicationBuilder}?)"/>, and for a replicated member
    /// (<see cref="StoreOptions.IsReplicated"/>), or a single member named in <see cref="StoreOptions.InitialCluster"/> (which grows into
    /// one at <c>etcdctl member add</c>), also serves the Raft peer service on each of <paramref name="peerEndpoints"/>
    /// (etcd's <c>--listen-peer-urls</c>; cleartext HTTP/2) and replicates to the members of <see cref="StoreOptions.InitialCluster"/>.
    /// </summary>
    public static WebApplication Create(StoreOptions options, IEnumerable<IPEndPoint> clientEndpoints, IEnumerable<IPEndPoint> peerEndpoints,
        Action<WebApplicationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(peerEndpoints);
        var peers = peerEndpoints.ToList();
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clientEndpoints);
        var endpoints = clientEndpoints.ToList();
        if (endpoints.Count == 0)
        {
            throw new ArgumentException("At least one client endpoint is required.", nameof(clientEndpoints));
        }
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k =>
        {
            foreach (var endpoint in endpoints)
            {
                k.Listen(endpoint, l => l.Protocols = HttpProtocols.Http2);
            }
            if (options.IsReplicated || options.InitialCluster.Length > 0)
            {
                foreach (var endpoint in peers.Where(p => !endpoints.Contains(p)))
                {
                    k.Listen(endpoint, l => l.Protocols = HttpProtocols.Http2);
                }
            }
        });
        builder.Services.AddKubeStore(o =>
        {
            o.DataDir = options.DataDir;
            o.MemberName = options.MemberName;
            o.SnapshotCount = options.SnapshotCount;
            o.QuotaBackendBytes = options.QuotaBackendBytes;
            o.MaxRequestBytes = options.MaxRequestBytes;
            o.WalSegmentBytes = options.WalSegmentBytes;
            o.WatchBufferSize = options.WatchBufferSize;
            o.ProposalQueueLength = options.ProposalQueueLength;
            o.LeaseCheckInterval = options.LeaseCheckInterval;
            o.InitialCluster = options.InitialCluster;
            o.InitialClusterState = options.InitialClusterState;
            o.InitialClusterToken = options.InitialClusterToken;
            o.AdvertiseClientUrls = options.AdvertiseClientUrls;
            o.RaftTickInterval = options.RaftTickInterval;
            o.SnapshotCatchUpEntries = options.SnapshotCatchUpEntries;
        }).AddEtcdGrpc();
        configure?.Invoke(builder);
        var app = builder.Build();
        app.MapEtcdGrpc();
        if (options.IsReplicated || options.InitialCluster.Length > 0)
        {
            app.MapGrpcService<Raft.Transport.RaftGrpcService>();
        }
        return app;
    }
}
