namespace Kube.Scheduling.Framework;

/// <summary>
/// What a plugin may use of its profile's framework (upstream's framework.Handle): the waiting pods, the snapshot of the
/// current cycle and the framework itself (to run Filter plugins in simulations, as preemption does). Plugins get it by
/// taking an <see cref="IFrameworkHandle"/> constructor parameter.
/// </summary>
public interface IFrameworkHandle
{
    /// <summary>The profile's scheduler name.</summary>
    string SchedulerName { get; }

    /// <summary>The framework (available once every plugin of the profile was created).</summary>
    SchedulingFramework Framework { get; }

    /// <summary>The nodes of the current scheduling cycle's snapshot (empty before the first cycle). Do not change them.</summary>
    IReadOnlyList<NodeInfo> Snapshot { get; }

    /// <summary>The pods nominated to run on nodes after preemption (upstream's PodNominator).</summary>
    IPodNominator Nominator { get; }

    /// <summary>The waiting pod with this UID, or null.</summary>
    IWaitingPod? GetWaitingPod(string uid);

    /// <summary>Every pod waiting on Permit plugins now.</summary>
    IReadOnlyList<IWaitingPod> WaitingPods();
}
