using Kube.Scheduling.Framework;
using Kube.Scheduling.Plugins.NodeResourcesFit;

namespace Kube.Scheduling.Tests.Plugins;

[TestClass]
public sealed class NodeResourcesFitPluginTests
{
    [TestMethod]
    // node cpu, memory, pods | existing pod cpu | new pod cpu, memory | expected reasons
    [DataRow("2", "4Gi", "110", "1", "1", "1Gi", "")]
    [DataRow("2", "4Gi", "110", "1500m", "1", "1Gi", "Insufficient cpu")]
    [DataRow("2", "1Gi", "110", null, "1", "2Gi", "Insufficient memory")]
    [DataRow("1", "1Gi", "110", "500m", "1", "2Gi", "Insufficient cpu|Insufficient memory")]
    [DataRow("4", "4Gi", "1", "1", "1", "1Gi", "Too many pods")]
    [DataRow("1", "1Gi", "110", "1", null, null, "")]
    public void Filter_ReportsUpstreamReasons(string cpu, string mem, string pods, string? existingCpu, string? podCpu, string? podMem, string expected)
    {
        var existing = existingCpu is null ? [] : new[] { TestObjects.Pod("existing", cpu: existingCpu, nodeName: "n1") };
        var node = NodeInfo.Create(TestObjects.Node("n1", cpu, mem, pods), existing);
        var plugin = new NodeResourcesFitPlugin();
        var state = new CycleState();
        var pod = TestObjects.Pod("p", podCpu, podMem);
        Assert.IsTrue(plugin.PreFilter(state, pod, [node]).IsSuccess);
        var status = plugin.Filter(state, pod, node);
        Assert.AreEqual(expected, string.Join('|', status.Reasons));
        Assert.AreEqual(expected.Length == 0 ? StatusCode.Success : StatusCode.Unschedulable, status.Code);
    }

    [TestMethod]
    public void Filter_ChecksExtendedResources()
    {
        var n = TestObjects.Node("n1");
        n.Status.Allocatable["example.com/gpu"] = new k8s.Models.ResourceQuantity("1");
        var pod = TestObjects.Pod("p", "100m");
        pod.Spec.Containers[0].Resources.Requests["example.com/gpu"] = new k8s.Models.ResourceQuantity("2");
        var status = new NodeResourcesFitPlugin().Filter(new CycleState(), pod, NodeInfo.Create(n));
        CollectionAssert.AreEqual(new[] { "Insufficient example.com/gpu" }, status.Reasons.ToArray());
    }

    [TestMethod]
    [DataRow(0, 4000, 100)]
    [DataRow(1000, 4000, 75)]
    [DataRow(4000, 4000, 0)]
    [DataRow(5000, 4000, 0)]
    public void LeastAllocated_ScoresFreeShare(long requested, long capacity, long expected) =>
        Assert.AreEqual(expected, NodeResourcesFitPlugin.LeastAllocated(requested, capacity));

    [TestMethod]
    public void Score_PrefersTheEmptierNode()
    {
        var plugin = new NodeResourcesFitPlugin();
        var pod = TestObjects.Pod("p", "1", "1Gi");
        var empty = NodeInfo.Create(TestObjects.Node("empty"));
        var busy = NodeInfo.Create(TestObjects.Node("busy"), TestObjects.Pod("x", "2", "4Gi", nodeName: "busy"));
        Assert.IsTrue(plugin.Score(new CycleState(), pod, empty).Score > plugin.Score(new CycleState(), pod, busy).Score);
    }
}
