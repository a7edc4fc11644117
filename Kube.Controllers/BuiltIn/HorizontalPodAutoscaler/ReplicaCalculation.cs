namespace Kube.Controllers.BuiltIn.HorizontalPodAutoscaler;

/// <summary>What one metric proposes: a replica count, the utilization (percent of request, when the target is one) and the average raw value in milli-units.</summary>
internal readonly record struct ReplicaCalculation(int Replicas, int? Utilization, decimal AverageMilli);
