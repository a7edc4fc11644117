namespace Kube.Controllers.BuiltIn.HorizontalPodAutoscaler;

/// <summary>One pod's figure for one resource (milli-units: millicores, or bytes × 1000), with when and over what window it was taken.</summary>
internal readonly record struct PodMetricSample(decimal Milli, DateTimeOffset Timestamp, TimeSpan Window);
