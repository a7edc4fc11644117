using Kube.Scheduling.Framework;
using Kube.Scheduling.Plugins.NodeResourcesBalancedAllocation;
using Kube.Scheduling.Plugins.NodeResourcesFit;

namespace Kube.Scheduling.Tests.Plugins;

[TestClass]
public sealed class ResourceScoringPluginTests
{
    [TestMethod]
    // node cpu, memory | existing pod cpu, memory | new pod cpu, memory | expected score
    [DataRow("4", "8Gi", "1", "2Gi", "1", "2Gi", 100L)]   // 50% and 50%: perfectly balanced
    [DataRow("4", "8Gi", "3", "1Gi", "1", "2Gi", 68L)]  // cpu 100%, memory 37.5% -> std 0.3125
    [DataRow("4", "8Gi", null, null, "2", "1Gi", 81L)]    // cpu 50%, memory 12.5% -> std 0.1875
    public void BalancedAllocation_Scores_OneMinusStdDev(string cpu, string mem, string? exCpu, string? exMem, string podCpu, string podMem, long expected)
    {
        var existing = exCpu is null ? [] : new[] { TestObjects.Pod("e", exCpu, exMem, nodeName: "n1") };
        var node = NodeInfo.Create(TestObjects.Node("n1", cpu, mem), existing);
        var (score, status) = new NodeResourcesBalancedAllocationPlugin().Score(new CycleState(), TestObjects.Pod("p", podCpu, podMem), node);
        Assert.IsTrue(status.IsSuccess);
        Assert.AreEqual(expected, score);
    }

    [TestMethod]
    // strategy | node cpu, memory | pod cpu, memory | expected
    [DataRow(ScoringStrategyType.LeastAllocated, "4", "8Gi", "1", "2Gi", 75L)]
    [DataRow(ScoringStrategyType.MostAllocated, "4", "8Gi", "1", "2Gi", 25L)]
    [DataRow(ScoringStrategyType.MostAllocated, "4", "8Gi", "3", "2Gi", 50L)]  // (75 + 25) / 2
    [DataRow(ScoringStrategyType.RequestedToCapacityRatio, "4", "8Gi", "2", "4Gi", 50L)] // shape (0,0)-(100,10): 50% -> 50
    [DataRow(ScoringStrategyType.RequestedToCapacityRatio, "4", "8Gi", "4", "8Gi", 100L)]
    public void NodeResourcesFit_ScoringStrategies(ScoringStrategyType type, string cpu, string mem, string podCpu, string podMem, long expected)
    {
        var args = new NodeResourcesFitArgs { Type = type, Shape = [new(0, 0), new(100, 10)] };
        var node = NodeInfo.Create(TestObjects.Node("n1", cpu, mem));
        var (score, _) = new NodeResourcesFitPlugin(args).Score(new CycleState(), TestObjects.Pod("p", podCpu, podMem), node);
        Assert.AreEqual(expected, score);
    }

    [TestMethod]
    // utilization (requested of 100) | expected score for shape (0,10) (50,2) (100,0)
    [DataRow(0L, 100L)]
    [DataRow(25L, 60L)]
    [DataRow(50L, 20L)]
    [DataRow(75L, 10L)]
    [DataRow(100L, 0L)]
    [DataRow(150L, 0L)]
    public void RequestedToCapacityRatio_InterpolatesTheShape(long requested, long expected)
    {
        UtilizationShapePoint[] shape = [new(0, 10), new(50, 2), new(100, 0)];
        Assert.AreEqual(expected, NodeResourcesFitPlugin.RequestedToCapacityRatio(requested, 100, shape));
    }

    [TestMethod]
    public void NodeResourcesFit_WeightsResources()
    {
        // cpu 25% used (LeastAllocated 75) weight 3; memory 75% used (LeastAllocated 25) weight 1 -> (225 + 25) / 4 = 62
        var args = new NodeResourcesFitArgs { Resources = [new("cpu", 3), new("memory", 1)] };
        var node = NodeInfo.Create(TestObjects.Node("n1", "4", "8Gi"));
        Assert.AreEqual(62L, new NodeResourcesFitPlugin(args).Score(new CycleState(), TestObjects.Pod("p", "1", "6Gi"), node).Score);
    }
}
