namespace Kube.Scheduling.Plugins.NodeResourcesFit;

/// <summary>A point of the RequestedToCapacityRatio shape: utilization 0..100 and score 0..10 (scaled to 0..100).</summary>
public sealed record UtilizationShapePoint(int Utilization, int Score);
