using k8s.Models;

namespace Kube.Scheduling.Framework;

/// <summary>
/// Implemented by PreFilter plugins whose PreFilter state depends on the pods already on nodes (upstream's
/// PreFilterExtensions): preemption and nominated pods evaluate "what if this pod were (not) on that node" by calling
/// these on a clone of the <see cref="CycleState"/> (see <see cref="IStateData"/>) after PreFilter ran.
/// </summary>
public interface IPreFilterExtensions : IPreFilterPlugin
{
    /// <summary>Updates the state as if <paramref name="podToAdd"/> ran on <paramref name="nodeInfo"/>.</summary>
    Status AddPod(CycleState state, V1Pod podToSchedule, V1Pod podToAdd, NodeInfo nodeInfo);

    /// <summary>Updates the state as if <paramref name="podToRemove"/> no longer ran on <paramref name="nodeInfo"/>.</summary>
    Status RemovePod(CycleState state, V1Pod podToSchedule, V1Pod podToRemove, NodeInfo nodeInfo);
}
