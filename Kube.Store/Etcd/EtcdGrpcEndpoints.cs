using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace Kube.Store.Etcd;

/// <summary>Maps etcd's v3 gRPC API (KV, Watch, Lease, Cluster.MemberList, Maintenance) onto the registered <see cref="IKeyValueStore"/>.</summary>
/// <remarks>
/// Needs <c>services.AddKubeStore(...).AddEtcdGrpc()</c>. etcd clients speak cleartext HTTP/2, so serve it on a Kestrel
/// endpoint with <c>HttpProtocols.Http2</c> only (HTTP/1+2 on one port needs TLS with ALPN).
/// </remarks>
public static class EtcdGrpcEndpoints
{
    public static IEndpointRouteBuilder MapEtcdGrpc(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGrpcService<EtcdKvService>();
        endpoints.MapGrpcService<EtcdWatchService>();
        endpoints.MapGrpcService<EtcdLeaseService>();
        endpoints.MapGrpcService<EtcdClusterService>();
        endpoints.MapGrpcService<EtcdMaintenanceService>();
        return endpoints;
    }
}
