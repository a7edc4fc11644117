namespace Kube.Networking.EndpointSlices;

/// <summary>The well-known labels of EndpointSlices.</summary>
public static class EndpointSliceLabels
{
    public const string ServiceName = "kubernetes.io/service-name";
    public const string ManagedBy = "endpointslice.kubernetes.io/managed-by";
    public const string ControllerName = "endpointslice-controller.k8s.io";
}
