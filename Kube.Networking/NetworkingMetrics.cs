using System.Diagnostics.Metrics;

namespace Kube.Networking;

/// <summary>The networking instruments on the meter <c>Kube.Networking</c>.</summary>
internal sealed class NetworkingMetrics : IDisposable
{
    public const string MeterName = "Kube.Networking";

    private readonly Meter _meter;
    private readonly Counter<long> _allocations;
    private readonly Counter<long> _rejections;
    private readonly Counter<long> _sliceWrites;

    public NetworkingMetrics(IMeterFactory? factory = null)
    {
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        _allocations = _meter.CreateCounter<long>("kube.networking.allocations", description: "ClusterIPs and NodePorts allocated (tag kind)");
        _rejections = _meter.CreateCounter<long>("kube.networking.allocation.rejections", description: "Service creates or updates rejected by the allocator");
        _sliceWrites = _meter.CreateCounter<long>("kube.networking.endpointslice.writes", description: "EndpointSlice creates, updates and deletes (tag op)");
    }

    public void Allocated(string kind, int count) => _allocations.Add(count, new KeyValuePair<string, object?>("kind", kind));

    public void Rejected() => _rejections.Add(1);

    public void SliceWrites(string op, int count)
    {
        if (count > 0)
        {
            _sliceWrites.Add(count, new KeyValuePair<string, object?>("op", op));
        }
    }

    public void Dispose() => _meter.Dispose();
}
