using k8s.Models;
using Kube.Core.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kube.Networking.Allocation;

/// <summary>
/// The ClusterIP and NodePort allocators of a cluster, rebuilt from the Services in the API before first use and
/// repaired against them afterwards. The client is resolved lazily: the API server's in-process client depends on
/// the admission plugins, one of which uses this state.
/// </summary>
internal sealed class ServiceAllocationState(NetworkingOptions options, IServiceProvider services, TimeProvider time, ILogger<ServiceAllocationState> logger)
{
    private readonly SemaphoreSlim _init = new(1, 1);
    private volatile bool _initialized;

    public ClusterIpAllocator ClusterIps { get; } = new(options.ServiceCidr, time);

    public NodePortAllocator NodePorts { get; } = new(options.NodePortMin, options.NodePortMax, time);

    public NetworkingOptions Options => options;

    public bool IsInitialized => _initialized;

    /// <summary>Lists every Service once and marks its IPs and NodePorts used.</summary>
    public async Task EnsureInitializedAsync(CancellationToken cancellationToken)
    {
        if (_initialized)
        {
            return;
        }

        await _init.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_initialized)
            {
                return;
            }

            var all = await ListAllAsync(cancellationToken).ConfigureAwait(false);
            Rebuild(all, TimeSpan.Zero);
            _initialized = true;
            logger.LogInformation("Service allocators rebuilt from {Count} Services: {Ips} ClusterIPs and {Ports} NodePorts in use", all.Count, ClusterIps.Used, NodePorts.Used);
        }
        finally
        {
            _init.Release();
        }
    }

    /// <summary>Initializes from a known list of Services instead of listing them through the client.</summary>
    internal void InitializeFrom(IReadOnlyCollection<V1Service> all)
    {
        Rebuild(all, TimeSpan.Zero);
        _initialized = true;
    }

    /// <summary>Frees allocations no Service shows any more (older than the grace period) and marks every shown one used.</summary>
    public void Rebuild(IReadOnlyCollection<V1Service> all, TimeSpan grace)
    {
        var freedIps = ClusterIps.Repair(all.SelectMany(IpsOf), grace);
        var freedPorts = NodePorts.Repair(all.SelectMany(NodePortsOf), grace);
        if (freedIps + freedPorts > 0)
        {
            logger.LogInformation("Repair freed {Ips} leaked ClusterIPs and {Ports} leaked NodePorts", freedIps, freedPorts);
        }
    }

    /// <summary>Frees what a deleted Service held.</summary>
    public void Release(V1Service service)
    {
        foreach (var ip in IpsOf(service))
        {
            ClusterIps.Release(ip);
        }

        foreach (var port in NodePortsOf(service))
        {
            NodePorts.Release(port);
        }
    }

    /// <summary>Frees what an updated Service no longer holds.</summary>
    public void ReleaseDropped(V1Service before, V1Service after)
    {
        foreach (var ip in IpsOf(before).Except(IpsOf(after)))
        {
            ClusterIps.Release(ip);
        }

        foreach (var port in NodePortsOf(before).Except(NodePortsOf(after)))
        {
            NodePorts.Release(port);
        }
    }

    public static IEnumerable<string> IpsOf(V1Service s) =>
        (s.Spec?.ClusterIPs ?? []).Append(s.Spec?.ClusterIP ?? "").Where(ip => ip.Length > 0 && ip != "None").Distinct();

    public static IEnumerable<int> NodePortsOf(V1Service s) =>
        (s.Spec?.Ports ?? []).Where(p => p.NodePort is > 0).Select(p => p.NodePort!.Value).Distinct();

    private async Task<List<V1Service>> ListAllAsync(CancellationToken cancellationToken)
    {
        var client = services.GetRequiredService<IKubeClient>();
        var result = new List<V1Service>();
        string? next = null;
        for (var page = 0; page < 10_000; page++)
        {
            var list = await client.ListAsync<V1Service>(null, new ListOptions { Limit = 500, Continue = next }, cancellationToken).ConfigureAwait(false);
            result.AddRange(list.Items);
            next = list.Continue;
            if (string.IsNullOrEmpty(next))
            {
                break;
            }
        }

        return result;
    }
}
