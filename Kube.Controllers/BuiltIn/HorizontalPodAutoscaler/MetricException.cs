namespace Kube.Controllers.BuiltIn.HorizontalPodAutoscaler;

/// <summary>A metric could not be computed; <see cref="Reason"/> is the ScalingActive condition's reason (e.g. FailedGetResourceMetric).</summary>
internal sealed class MetricException(string reason, string message) : Exception(message)
{
    public string Reason { get; } = reason;
}
