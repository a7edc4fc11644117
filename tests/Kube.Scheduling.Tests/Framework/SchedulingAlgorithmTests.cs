using Kube.Scheduling.Framework;
using Microsoft.Extensions.DependencyInjection;
using Kube.Scheduling.Plugins.NodeName;
using Kube.Scheduling.Plugins.NodeResourcesFit;
using Kube.Scheduling.Plugins.NodeUnschedulable;
using Kube.Scheduling.Plugins.TaintToleration;

namespace Kube.Scheduling.Tests.Framework;

[TestClass]
public sealed class SchedulingAlgorithmTests
{
    private static SchedulingFramework DefaultFramework() => new(
        SchedulerOptions.DefaultSchedulerName,
        [new NodeUnschedulablePlugin(), new NodeNamePlugin(), new TaintTolerationPlugin(), new NodeResourcesFitPlugin()],
        new Dictionary<string, int> { [TaintTolerationPlugin.PluginName] = 3, [NodeResourcesFitPlugin.PluginName] = 1 });

    [TestMethod]
    public void Schedule_ReportsUpstreamFitErrorMessage()
    {
        var nodes = new[]
        {
            NodeInfo.Create(TestObjects.Node("a", cpu: "1")),
            NodeInfo.Create(TestObjects.Node("b", cpu: "1")),
            NodeInfo.Create(TestObjects.Node("c", cpu: "8", unschedulable: true)),
        };
        var algo = new SchedulingAlgorithm(new SchedulerOptions(), new Random(1));
        var result = algo.Schedule(DefaultFramework(), new CycleState(), TestObjects.Pod("p", cpu: "2"), nodes);
        Assert.IsNull(result.SuggestedHost);
        Assert.AreEqual("0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu.", result.FailureMessage);
    }

    [TestMethod]
    public void Schedule_PicksTheOnlyFeasibleNode()
    {
        var nodes = new[]
        {
            NodeInfo.Create(TestObjects.Node("tainted", taints: TestObjects.Taint("k", "v", "NoSchedule"))),
            NodeInfo.Create(TestObjects.Node("small", cpu: "500m")),
            NodeInfo.Create(TestObjects.Node("ok", cpu: "2")),
        };
        var result = new SchedulingAlgorithm(new SchedulerOptions(), new Random(1)).Schedule(DefaultFramework(), new CycleState(), TestObjects.Pod("p", cpu: "1"), nodes);
        Assert.AreEqual("ok", result.SuggestedHost);
        Assert.AreEqual(2, result.FailedNodes.Count);
    }

    [TestMethod]
    public void Schedule_PrefersTheLeastAllocatedNode()
    {
        var nodes = new[]
        {
            NodeInfo.Create(TestObjects.Node("busy"), TestObjects.Pod("x", "3", "6Gi", nodeName: "busy")),
            NodeInfo.Create(TestObjects.Node("idle")),
        };
        for (var seed = 0; seed < 5; seed++)
        {
            var result = new SchedulingAlgorithm(new SchedulerOptions(), new Random(seed)).Schedule(DefaultFramework(), new CycleState(), TestObjects.Pod("p", "500m"), nodes);
            Assert.AreEqual("idle", result.SuggestedHost);
        }
    }

    [TestMethod]
    public void Schedule_WithoutNodes_SaysSo()
    {
        var result = new SchedulingAlgorithm(new SchedulerOptions(), new Random(1)).Schedule(DefaultFramework(), new CycleState(), TestObjects.Pod("p"), []);
        Assert.AreEqual(FitError.NoNodesAvailable, result.FailureMessage);
    }

    [TestMethod]
    [DataRow(50, null, 50)]
    [DataRow(1000, null, 420)]   // 50 - 1000/125 = 42 %
    [DataRow(5000, null, 500)]   // 50 - 40 = 10 %
    [DataRow(20000, null, 1000)] // floor of 5 %
    [DataRow(200, 10, 100)]      // at least 100 nodes
    [DataRow(1000, 100, 1000)]
    public void NumFeasibleNodesToFind_FollowsUpstream(int nodes, int? pct, int expected) =>
        Assert.AreEqual(expected, SchedulingAlgorithm.NumFeasibleNodesToFind(nodes, pct));

    [TestMethod]
    public void Framework_FromRegistry_HonoursProfileSelectionAndWeights()
    {
        var registry = new[]
        {
            new PluginRegistration(NodeNamePlugin.PluginName, typeof(NodeNamePlugin)),
            new PluginRegistration(TaintTolerationPlugin.PluginName, typeof(TaintTolerationPlugin), 3),
            new PluginRegistration(NodeResourcesFitPlugin.PluginName, typeof(NodeResourcesFitPlugin)),
        };
        var services = new ServiceCollection().BuildServiceProvider();
        var profile = new SchedulerProfile { SchedulerName = "custom" };
        profile.Disabled.Add(NodeNamePlugin.PluginName);
        var fwk = SchedulingFramework.Create(profile, registry, services);
        CollectionAssert.AreEqual(new[] { TaintTolerationPlugin.PluginName, NodeResourcesFitPlugin.PluginName }, fwk.Plugins.Select(p => p.Name).ToArray());
        Assert.ThrowsExactly<InvalidOperationException>(() => SchedulingFramework.Create(new SchedulerProfile { Plugins = ["Nope"] }, registry, services));
    }
}
