namespace Kube.Benchmarks.Scheduler;

/// <summary>What a workload's pods look like.</summary>
internal enum PodShape
{
    /// <summary>100m cpu, 500Mi memory (upstream's pod-default.yaml).</summary>
    Default,

    /// <summary>Default, plus a DoNotSchedule zone spread constraint with maxSkew 1 on label app=spread.</summary>
    ZoneSpread,

    /// <summary>Default, plus a ScheduleAnyway zone spread constraint with maxSkew 1.</summary>
    PreferredZoneSpread,

    /// <summary>Requests more cpu than any node has: stays unschedulable.</summary>
    Unschedulable,

    /// <summary>900m cpu, 500Mi, priority 1, terminationGracePeriodSeconds 0 (upstream's pod-low-priority.yaml): 4 fill a 4-cpu node.</summary>
    LowPriority,

    /// <summary>3000m cpu, 500Mi, priority 1000 (upstream's pod-high-priority.yaml): must preempt low-priority pods.</summary>
    HighPriority,
}
