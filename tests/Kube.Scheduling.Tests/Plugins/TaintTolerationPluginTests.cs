using k8s.Models;
using Kube.Scheduling.Framework;
using Kube.Scheduling.Plugins.TaintToleration;

namespace Kube.Scheduling.Tests.Plugins;

[TestClass]
public sealed class TaintTolerationPluginTests
{
    [TestMethod]
    // taint key, value, effect | toleration key, operator, value, effect | expected code
    [DataRow("dedicated", "gpu", "NoSchedule", null, null, null, null, StatusCode.UnschedulableAndUnresolvable)]
    [DataRow("dedicated", "gpu", "NoExecute", null, null, null, null, StatusCode.UnschedulableAndUnresolvable)]
    [DataRow("dedicated", "gpu", "PreferNoSchedule", null, null, null, null, StatusCode.Success)]
    [DataRow("dedicated", "gpu", "NoSchedule", "dedicated", "Equal", "gpu", "NoSchedule", StatusCode.Success)]
    [DataRow("dedicated", "gpu", "NoSchedule", "dedicated", "Equal", "cpu", "NoSchedule", StatusCode.UnschedulableAndUnresolvable)]
    [DataRow("dedicated", "gpu", "NoSchedule", "dedicated", "Exists", null, null, StatusCode.Success)]
    [DataRow("dedicated", "gpu", "NoSchedule", null, "Exists", null, null, StatusCode.Success)]
    [DataRow("dedicated", "gpu", "NoSchedule", "dedicated", "Exists", null, "NoExecute", StatusCode.UnschedulableAndUnresolvable)]
    public void Filter_RequiresTolerationOfHardTaints(string tKey, string tValue, string tEffect, string? key, string? op, string? value, string? effect, StatusCode expected)
    {
        var node = NodeInfo.Create(TestObjects.Node("n1", taints: TestObjects.Taint(tKey, tValue, tEffect)));
        var tolerations = key is null && op is null ? [] : new[] { new V1Toleration { Key = key, OperatorProperty = op, Value = value, Effect = effect } };
        var pod = TestObjects.Pod("p", tolerations: tolerations);
        var status = new TaintTolerationPlugin().Filter(new CycleState(), pod, node);
        Assert.AreEqual(expected, status.Code);
        if (!status.IsSuccess) Assert.AreEqual($"node(s) had untolerated taint {{{tKey}: {tValue}}}", status.Message);
    }

    [TestMethod]
    public void Score_PrefersNodesWithFewerUntoleratedPreferNoScheduleTaints()
    {
        var plugin = new TaintTolerationPlugin();
        var pod = TestObjects.Pod("p");
        var nodes = new[]
        {
            NodeInfo.Create(TestObjects.Node("clean")),
            NodeInfo.Create(TestObjects.Node("one", taints: TestObjects.Taint("a", "1", "PreferNoSchedule"))),
            NodeInfo.Create(TestObjects.Node("two", taints: [TestObjects.Taint("a", "1", "PreferNoSchedule"), TestObjects.Taint("b", "1", "PreferNoSchedule")])),
        };
        var scores = nodes.Select(n => new NodeScore(n.Name, plugin.Score(new CycleState(), pod, n).Score)).ToList();
        plugin.NormalizeScore(new CycleState(), pod, scores);
        CollectionAssert.AreEqual(new long[] { 100, 50, 0 }, scores.Select(s => s.Score).ToArray());
    }
}
