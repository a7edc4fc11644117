using Kube.Core.Net;

namespace Kube.Networking;

/// <summary>Options of the networking components: Service IP and NodePort allocation, and the EndpointSlice controller.</summary>
public sealed class NetworkingOptions
{
    /// <summary>The Service CIDR, inside 127.0.0.0/8 so a proxy can bind every ClusterIP on loopback. Default 127.10.0.0/16; its first host (127.10.0.1) is reserved for Service default/kubernetes.</summary>
    public string ServiceCidr { get; set; } = "127.10.0.0/16";

    /// <summary>The first NodePort. Default 30000.</summary>
    public int NodePortMin { get; set; } = 30000;

    /// <summary>The last NodePort. Default 32767.</summary>
    public int NodePortMax { get; set; } = 32767;

    /// <summary>Whether the EndpointSlice controller runs. Default true.</summary>
    public bool EnableEndpointSlices { get; set; } = true;

    /// <summary>The most endpoints in one EndpointSlice. Default 100.</summary>
    public int MaxEndpointsPerSlice { get; set; } = 100;

    /// <summary>Concurrent EndpointSlice reconciles (different Services). Default 2.</summary>
    public int EndpointSliceWorkers { get; set; } = 2;

    /// <summary>How often allocations are checked against the Services in the API, freeing leaked ones. Default 3 min.</summary>
    public TimeSpan RepairInterval { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>How long a fresh allocation is kept even though no Service shows it yet (the create may still be in flight). Default 1 min.</summary>
    public TimeSpan AllocationGracePeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The API server's address as "ip:port" (e.g. "127.0.0.1:6443"). When set, Service default/kubernetes (the reserved
    /// first ClusterIP, port 443) and its EndpointSlice pointing here are kept in place, so pods get KUBERNETES_SERVICE_HOST.
    /// Default null: not managed.
    /// </summary>
    public string? KubernetesServiceEndpoint { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad setting.</summary>
    internal void Validate()
    {
        if (!Ipv4Cidr.TryParse(ServiceCidr, out var cidr) || cidr.PrefixLength > 29)
        {
            throw new ArgumentException($"NetworkingOptions.ServiceCidr \"{ServiceCidr}\" must be an IPv4 CIDR with a prefix of /29 or shorter, e.g. 127.10.0.0/16");
        }

        if (NodePortMin < 1 || NodePortMax > 65535 || NodePortMin > NodePortMax)
        {
            throw new ArgumentException($"NetworkingOptions: the NodePort range {NodePortMin}-{NodePortMax} is not a valid port range");
        }

        if (MaxEndpointsPerSlice is < 1 or > 1000)
        {
            throw new ArgumentException($"NetworkingOptions.MaxEndpointsPerSlice {MaxEndpointsPerSlice} must be within 1-1000");
        }

        if (KubernetesServiceEndpoint is not null && !System.Net.IPEndPoint.TryParse(KubernetesServiceEndpoint, out _))
        {
            throw new ArgumentException($"NetworkingOptions.KubernetesServiceEndpoint \"{KubernetesServiceEndpoint}\" must be ip:port, e.g. 127.0.0.1:6443");
        }

        if (EndpointSliceWorkers < 1 || RepairInterval <= TimeSpan.Zero || AllocationGracePeriod < TimeSpan.Zero)
        {
            throw new ArgumentException("NetworkingOptions: EndpointSliceWorkers and RepairInterval must be positive");
        }
    }
}
