namespace Kube.Benchmarks.Scheduler;

/// <summary>One scheduler_perf-like workload: nodes, pods created before measuring, and the measured pods.</summary>
internal sealed record SchedulerWorkload(string Name, int Nodes, int InitPods, int MeasuredPods, double UpstreamFloor, PodShape InitShape, PodShape MeasuredShape);
