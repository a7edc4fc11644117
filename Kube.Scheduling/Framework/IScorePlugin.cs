using k8s.Models;

namespace Kube.Scheduling.Framework;

/// <summary>
/// Ranks the nodes that passed Filter. Scores are normalized to 0..100 (by <see cref="NormalizeScore"/> when the
/// plugin's raw scores have another range), multiplied by the plugin's weight, and summed over plugins.
/// </summary>
public interface IScorePlugin : IPlugin
{
    public const long MinNodeScore = 0;
    public const long MaxNodeScore = 100;

    (long Score, Status Status) Score(CycleState state, V1Pod pod, NodeInfo nodeInfo);

    /// <summary>Rewrites the raw scores of all nodes into 0..100 in place. The default does nothing.</summary>
    Status NormalizeScore(CycleState state, V1Pod pod, IList<NodeScore> scores) => Status.Success;
}
