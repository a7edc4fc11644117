using k8s.Models;
using Kube.Scheduling.Framework;

namespace Kube.Scheduling.Tests.Integration;

/// <summary>A user's Filter plugin: nodes labelled <c>avoid=true</c> take no pods.</summary>
internal sealed class AvoidLabelledNodesPlugin : IFilterPlugin
{
    public const string PluginName = "AvoidLabelledNodes";

    public string Name => PluginName;

    public Status Filter(CycleState state, V1Pod pod, NodeInfo nodeInfo) =>
        nodeInfo.Node.Metadata.Labels?.TryGetValue("avoid", out var v) == true && v == "true"
            ? Status.UnschedulableAndUnresolvable("node(s) were avoided")
            : Status.Success;
}
