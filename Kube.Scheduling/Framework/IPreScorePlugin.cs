using k8s.Models;

namespace Kube.Scheduling.Framework;

/// <summary>
/// Runs once per scheduling cycle after Filter, with the nodes that passed it, before Score: pre-computes state for
/// Score. Returning <see cref="StatusCode.Skip"/> skips this plugin's Score for the cycle (as upstream).
/// </summary>
public interface IPreScorePlugin : IPlugin
{
    Status PreScore(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> feasibleNodes);
}
