using k8s.Models;
using Kube.Scheduling.Framework;
using Kube.Scheduling.Plugins.PodTopologySpread;

namespace Kube.Scheduling.Tests.Plugins;

[TestClass]
public sealed class PodTopologySpreadPluginTests
{
    private const string Zone = "topology.kubernetes.io/zone";

    private static V1Node ZoneNode(string name, string? zone)
    {
        var node = TestObjects.Node(name);
        node.Metadata.Labels = new Dictionary<string, string> { ["kubernetes.io/hostname"] = name };
        if (zone is not null) node.Metadata.Labels[Zone] = zone;
        return node;
    }

    private static V1Pod AppPod(string name, string? nodeName = null, string app = "web")
    {
        var pod = TestObjects.Pod(name, nodeName: nodeName);
        pod.Metadata.Labels = new Dictionary<string, string> { ["app"] = app };
        return pod;
    }

    private static V1Pod Spreading(string when, int maxSkew, int? minDomains = null)
    {
        var pod = AppPod("incoming");
        pod.Spec.TopologySpreadConstraints =
        [
            new V1TopologySpreadConstraint
            {
                TopologyKey = Zone, MaxSkew = maxSkew, WhenUnsatisfiable = when, MinDomains = minDomains,
                LabelSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "web" } },
            },
        ];
        return pod;
    }

    private static List<NodeInfo> Cluster(int inA, int inB, int otherAppInB = 0)
    {
        var a = NodeInfo.Create(ZoneNode("a1", "a"), Enumerable.Range(0, inA).Select(i => AppPod($"a-{i}", "a1")).ToArray());
        var b = NodeInfo.Create(ZoneNode("b1", "b"),
            Enumerable.Range(0, inB).Select(i => AppPod($"b-{i}", "b1")).Concat(Enumerable.Range(0, otherAppInB).Select(i => AppPod($"o-{i}", "b1", "db"))).ToArray());
        return [a, b];
    }

    [TestMethod]
    // pods in zone a, in zone b, other-app pods in b | maxSkew | minDomains | target node | expected
    [DataRow(0, 0, 0, 1, null, "a1", StatusCode.Success)]
    [DataRow(1, 0, 0, 1, null, "a1", StatusCode.Unschedulable)]  // 1 + 1 - 0 = 2 > 1
    [DataRow(1, 0, 0, 1, null, "b1", StatusCode.Success)]
    [DataRow(1, 0, 0, 2, null, "a1", StatusCode.Success)]        // 2 - 0 <= 2
    [DataRow(2, 1, 0, 1, null, "a1", StatusCode.Unschedulable)]
    [DataRow(1, 0, 5, 1, null, "a1", StatusCode.Unschedulable)]  // pods of another app do not count
    [DataRow(1, 1, 0, 1, null, "a1", StatusCode.Success)]        // 2 - 1 = 1
    [DataRow(1, 1, 0, 1, 3, "a1", StatusCode.Unschedulable)]     // only 2 of 3 domains: the minimum counts as 0
    public void Filter_DoNotSchedule_RespectsMaxSkewAndMinDomains(int inA, int inB, int otherInB, int maxSkew, int? minDomains, string target, StatusCode expected)
    {
        var nodes = Cluster(inA, inB, otherInB);
        var pod = Spreading("DoNotSchedule", maxSkew, minDomains);
        var plugin = new PodTopologySpreadPlugin();
        var state = new CycleState();
        Assert.IsTrue(plugin.PreFilter(state, pod, nodes).IsSuccess);
        var status = plugin.Filter(state, pod, nodes.Single(n => n.Name == target));
        Assert.AreEqual(expected, status.Code);
        if (!status.IsSuccess) Assert.AreEqual("node(s) didn't match pod topology spread constraints", status.Message);
    }

    [TestMethod]
    public void Filter_RejectsNodesWithoutTheTopologyKey_AsUnresolvable()
    {
        var nodes = Cluster(0, 0);
        nodes.Add(NodeInfo.Create(ZoneNode("nozone", null)));
        var pod = Spreading("DoNotSchedule", 1);
        var plugin = new PodTopologySpreadPlugin();
        var state = new CycleState();
        plugin.PreFilter(state, pod, nodes);
        var status = plugin.Filter(state, pod, nodes[2]);
        Assert.AreEqual(StatusCode.UnschedulableAndUnresolvable, status.Code);
        Assert.AreEqual("node(s) didn't match pod topology spread constraints (missing required label)", status.Message);
    }

    [TestMethod]
    public void Filter_IgnoresNodesExcludedByNodeAffinity_WhenHonored()
    {
        // Zone b is excluded by the pod's nodeSelector, so zone a's minimum is a's own count: a fits although b is empty.
        var nodes = Cluster(3, 0);
        nodes[0].Node.Metadata.Labels["pool"] = "x";
        var pod = Spreading("DoNotSchedule", 1);
        pod.Spec.NodeSelector = new Dictionary<string, string> { ["pool"] = "x" };
        var plugin = new PodTopologySpreadPlugin();
        var state = new CycleState();
        plugin.PreFilter(state, pod, nodes);
        Assert.IsTrue(plugin.Filter(state, pod, nodes[0]).IsSuccess);
        pod.Spec.TopologySpreadConstraints[0].NodeAffinityPolicy = "Ignore";
        state = new CycleState();
        plugin.PreFilter(state, pod, nodes);
        Assert.IsFalse(plugin.Filter(state, pod, nodes[0]).IsSuccess);
    }

    [TestMethod]
    // pods in a, in b | expected normalized scores of a1, b1
    [DataRow(0, 0, 100L, 100L)]
    [DataRow(2, 0, 0L, 100L)]
    [DataRow(1, 3, 100L, 25L)]   // raw round(1 × ln 4) = 1 and round(3 × ln 4) = 4: 100 × (4 + 1 − 4) / 4
    public void Score_ScheduleAnyway_PrefersEmptierDomains(int inA, int inB, long scoreA, long scoreB)
    {
        var nodes = Cluster(inA, inB);
        var pod = Spreading("ScheduleAnyway", 1);
        var plugin = new PodTopologySpreadPlugin();
        var state = new CycleState();
        Assert.IsTrue(plugin.PreFilter(state, pod, nodes).IsSkip, "no DoNotSchedule constraint: nothing to filter");
        Assert.IsTrue(plugin.Filter(state, pod, nodes[0]).IsSuccess, "ScheduleAnyway never filters");
        Assert.IsTrue(plugin.PreScore(state, pod, nodes).IsSuccess);
        var scores = nodes.Select(n => new NodeScore(n.Name, plugin.Score(state, pod, n).Score)).ToList();
        plugin.NormalizeScore(state, pod, scores);
        CollectionAssert.AreEqual(new[] { scoreA, scoreB }, scores.Select(s => s.Score).ToArray());
    }

    [TestMethod]
    public void Score_UsesDefaultConstraints_ForControllerPodsWithoutConstraints()
    {
        var nodes = Cluster(4, 0);
        var pod = AppPod("incoming");
        var plugin = new PodTopologySpreadPlugin();
        var state = new CycleState();
        plugin.PreFilter(state, pod, nodes);
        Assert.IsTrue(plugin.PreScore(state, pod, nodes).IsSkip, "a bare pod has no Service or controller selector: no default spreading (as upstream)");
        pod.Metadata.OwnerReferences = [new V1OwnerReference { ApiVersion = "apps/v1", Kind = "ReplicaSet", Name = "rs", Uid = "rs-uid", Controller = true }];
        Assert.IsTrue(plugin.PreScore(state, pod, nodes).IsSuccess);
        var scores = nodes.Select(n => new NodeScore(n.Name, plugin.Score(state, pod, n).Score)).ToList();
        plugin.NormalizeScore(state, pod, scores);
        Assert.IsTrue(scores[1].Score > scores[0].Score, $"zone b (empty) should score higher: {scores[0].Score} vs {scores[1].Score}");
        var defaults = new PodTopologySpreadArgs().DefaultConstraints;
        Assert.AreEqual(5, defaults.Single(c => c.TopologyKey == Zone).MaxSkew);
        Assert.AreEqual(3, defaults.Single(c => c.TopologyKey == "kubernetes.io/hostname").MaxSkew);
        Assert.IsTrue(defaults.All(c => c.WhenUnsatisfiable == "ScheduleAnyway"));
    }

    /// <summary>matchLabelKeys: only pods with the incoming pod's value of the key count (e.g. one Deployment revision).</summary>
    [TestMethod]
    [DataRow(null, StatusCode.Unschedulable, DisplayName = "without matchLabelKeys the old revision's pods in a count")]
    [DataRow("rev", StatusCode.Success, DisplayName = "with matchLabelKeys [rev] they do not")]
    public void Filter_MatchLabelKeys_NarrowTheSelectorToThePodsValues(string? key, StatusCode expected)
    {
        var nodes = Cluster(2, 0);
        foreach (var p in nodes[0].Pods) p.Metadata.Labels["rev"] = "1";
        var pod = Spreading("DoNotSchedule", 1);
        pod.Metadata.Labels["rev"] = "2";
        if (key is not null) pod.Spec.TopologySpreadConstraints[0].MatchLabelKeys = [key];
        var plugin = new PodTopologySpreadPlugin();
        var state = new CycleState();
        Assert.IsTrue(plugin.PreFilter(state, pod, nodes).IsSuccess);
        Assert.AreEqual(expected, plugin.Filter(state, pod, nodes[0]).Code);
    }
}
