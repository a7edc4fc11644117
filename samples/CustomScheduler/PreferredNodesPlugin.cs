using k8s.Models;
using Kube.Scheduling.Framework;

namespace CustomScheduler;

/// <summary>
/// A custom Score plugin: nodes labelled <c>{Label}=true</c> score 100, others 0. Registered in the "my-scheduler"
/// profile by scheduler-config.yaml, so pods with <c>schedulerName: my-scheduler</c> land on the preferred nodes that fit.
/// </summary>
internal sealed class PreferredNodesPlugin(PreferredNodesArgs? args = null) : IScorePlugin
{
    public const string PluginName = "PreferredNodes";

    private readonly string _label = args?.Label ?? PreferredNodesArgs.DefaultLabel;

    public string Name => PluginName;

    public (long Score, Status Status) Score(CycleState state, V1Pod pod, NodeInfo nodeInfo) =>
        (nodeInfo.Node.Metadata.Labels?.TryGetValue(_label, out var v) == true && v == "true" ? IScorePlugin.MaxNodeScore : 0, Status.Success);
}
