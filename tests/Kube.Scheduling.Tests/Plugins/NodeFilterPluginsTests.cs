using k8s.Models;
using Kube.Scheduling.Framework;
using Kube.Scheduling.Plugins.NodeName;
using Kube.Scheduling.Plugins.NodeUnschedulable;

namespace Kube.Scheduling.Tests.Plugins;

[TestClass]
public sealed class NodeFilterPluginsTests
{
    [TestMethod]
    [DataRow(null, "n1", StatusCode.Success)]
    [DataRow("n1", "n1", StatusCode.Success)]
    [DataRow("n2", "n1", StatusCode.UnschedulableAndUnresolvable)]
    public void NodeName_MatchesOnlyTheNamedNode(string? wanted, string node, StatusCode expected)
    {
        var status = new NodeNamePlugin().Filter(new CycleState(), TestObjects.Pod("p", nodeName: wanted), NodeInfo.Create(TestObjects.Node(node)));
        Assert.AreEqual(expected, status.Code);
        if (!status.IsSuccess) Assert.AreEqual(NodeNamePlugin.ErrReason, status.Message);
    }

    [TestMethod]
    [DataRow(false, false, StatusCode.Success)]
    [DataRow(true, false, StatusCode.UnschedulableAndUnresolvable)]
    [DataRow(true, true, StatusCode.Success)]
    public void NodeUnschedulable_RejectsCordonedNodesUnlessTolerated(bool cordoned, bool tolerates, StatusCode expected)
    {
        var tolerations = tolerates
            ? new[] { new V1Toleration { Key = NodeUnschedulablePlugin.TaintKey, OperatorProperty = "Exists", Effect = "NoSchedule" } }
            : [];
        var status = new NodeUnschedulablePlugin().Filter(new CycleState(), TestObjects.Pod("p", tolerations: tolerations),
            NodeInfo.Create(TestObjects.Node("n1", unschedulable: cordoned)));
        Assert.AreEqual(expected, status.Code);
        if (!status.IsSuccess) Assert.AreEqual("node(s) were unschedulable", status.Message);
    }
}
