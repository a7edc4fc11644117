using System.Net;
using k8s.Models;
using Kube.Core.Client;

namespace Kube.ApiServer.Admission;

/// <summary>
/// Resolves a webhook's <c>clientConfig.service</c> the way kube-apiserver's endpoint service resolver does
/// (<c>--enable-aggregator-routing</c>): the Service's port numbered <c>port</c> (default 443), then a random ready address
/// of its EndpointSlices (or, without slices, its Endpoints) on the endpoint port named like that service port.
/// The request itself goes to <c>https://&lt;service&gt;.&lt;namespace&gt;.svc:&lt;port&gt;&lt;path&gt;</c>, so TLS verifies the
/// server against that name. ExternalName services resolve to <c>externalName:port</c>.
/// Failures are upstream's messages (<c>no service port 443 found for service "x"</c>, <c>no endpoints available for service "x"</c>).
/// </summary>
internal static class WebhookServiceResolver
{
    /// <summary>The URL upstream's webhook client posts to for a service reference.</summary>
    public static string ServiceUri(Admissionregistrationv1ServiceReference service)
    {
        var path = string.IsNullOrEmpty(service.Path) ? "/" : service.Path.StartsWith('/') ? service.Path : "/" + service.Path;
        return $"https://{service.Name}.{service.NamespaceProperty}.svc:{service.Port ?? 443}{path}";
    }

    /// <summary>The host and port to connect to for <paramref name="service"/>; throws <see cref="HttpRequestException"/> when there is none.</summary>
    public static async Task<DnsEndPoint> ResolveAsync(IKubeClient client, Admissionregistrationv1ServiceReference service, CancellationToken ct)
    {
        var port = service.Port ?? 443;
        V1Service svc;
        try
        {
            svc = await client.GetAsync<V1Service>(service.Name, service.NamespaceProperty, ct).ConfigureAwait(false);
        }
        catch (NotFoundException)
        {
            throw new HttpRequestException($"service \"{service.Name}\" not found");
        }
        var svcPort = svc.Spec?.Ports?.FirstOrDefault(p => p.Port == port);
        if (svc.Spec?.Type == "ExternalName" && svc.Spec.ExternalName is { Length: > 0 } external) return new DnsEndPoint(external, port);
        if (svc.Spec?.Type is not (null or "ClusterIP" or "NodePort" or "LoadBalancer")) throw new HttpRequestException($"unsupported service type \"{svc.Spec?.Type}\"");
        if (svcPort is null) throw new HttpRequestException($"no service port {port} found for service \"{service.Name}\"");
        var portName = svcPort.Name ?? "";

        var candidates = new List<DnsEndPoint>();
        var slices = await client.ListAsync<V1EndpointSlice>(service.NamespaceProperty,
            new ListOptions { LabelSelector = $"kubernetes.io/service-name={service.Name}" }, ct).ConfigureAwait(false);
        foreach (var slice in slices.Items)
        {
            if (slice.AddressType is "FQDN") continue;
            foreach (var p in slice.Ports ?? [])
            {
                if ((p.Name ?? "") != portName || p.Port is not { } target) continue;
                foreach (var e in slice.Endpoints ?? [])
                {
                    if (e.Conditions?.Ready == false) continue;
                    foreach (var a in e.Addresses ?? []) candidates.Add(new DnsEndPoint(a, target));
                }
            }
        }
        if (slices.Items.Count == 0)
        {
            try
            {
                var eps = await client.GetAsync<V1Endpoints>(service.Name, service.NamespaceProperty, ct).ConfigureAwait(false);
                foreach (var subset in eps.Subsets ?? [])
                foreach (var p in subset.Ports ?? [])
                {
                    if ((p.Name ?? "") != portName) continue;
                    foreach (var a in subset.Addresses ?? []) candidates.Add(new DnsEndPoint(a.Ip, p.Port));
                }
            }
            catch (NotFoundException)
            {
            }
        }
        if (candidates.Count == 0) throw new HttpRequestException($"no endpoints available for service \"{service.Name}\"");
        return candidates[Random.Shared.Next(candidates.Count)];
    }

    /// <summary>Connects to <paramref name="target"/> whatever the request URI's host is (that host stays the TLS server name).</summary>
    public static async ValueTask<Stream> ConnectAsync(DnsEndPoint target, CancellationToken ct)
    {
        var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (IPAddress.TryParse(target.Host, out var ip)) await socket.ConnectAsync(new IPEndPoint(ip, target.Port), ct).ConfigureAwait(false);
            else await socket.ConnectAsync(target, ct).ConfigureAwait(false);
            return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
