using k8s.Models;

namespace Kube.Networking.EndpointSlices;

/// <summary>What to write to bring a Service's EndpointSlices to the desired state.</summary>
internal sealed record EndpointSlicePlan(IReadOnlyList<V1EndpointSlice> Create, IReadOnlyList<V1EndpointSlice> Update, IReadOnlyList<V1EndpointSlice> Delete)
{
    public bool IsEmpty => Create.Count == 0 && Update.Count == 0 && Delete.Count == 0;
}
