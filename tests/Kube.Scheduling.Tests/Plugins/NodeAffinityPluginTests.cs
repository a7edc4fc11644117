using k8s.Models;
using Kube.Scheduling.Framework;
using Kube.Scheduling.Plugins.NodeAffinity;

namespace Kube.Scheduling.Tests.Plugins;

[TestClass]
public sealed class NodeAffinityPluginTests
{
    private static V1Node LabelledNode(string name = "n1") => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["zone"] = "a", ["gen"] = "5", ["disk"] = "ssd" } },
        Status = new V1NodeStatus(),
    };

    private static V1Pod PodWithRequired(params V1NodeSelectorTerm[] terms)
    {
        var pod = TestObjects.Pod("p");
        pod.Spec.Affinity = new V1Affinity
        {
            NodeAffinity = new V1NodeAffinity { RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector { NodeSelectorTerms = terms.ToList() } },
        };
        return pod;
    }

    [TestMethod]
    // key, operator, values (comma-separated, "" for none) | expected to match node {zone=a, gen=5, disk=ssd}
    [DataRow("zone", "In", "a,b", true)]
    [DataRow("zone", "In", "b", false)]
    [DataRow("missing", "In", "a", false)]
    [DataRow("zone", "NotIn", "b", true)]
    [DataRow("zone", "NotIn", "a", false)]
    [DataRow("missing", "NotIn", "a", true)]
    [DataRow("disk", "Exists", "", true)]
    [DataRow("missing", "Exists", "", false)]
    [DataRow("missing", "DoesNotExist", "", true)]
    [DataRow("disk", "DoesNotExist", "", false)]
    [DataRow("gen", "Gt", "4", true)]
    [DataRow("gen", "Gt", "5", false)]
    [DataRow("gen", "Lt", "6", true)]
    [DataRow("gen", "Lt", "5", false)]
    [DataRow("zone", "Gt", "1", false)]
    [DataRow("gen", "Gt", "x", false)]
    [DataRow("zone", "Bogus", "a", false)]
    public void Filter_MatchExpressions(string key, string op, string values, bool matches)
    {
        var term = new V1NodeSelectorTerm
        {
            MatchExpressions = [new V1NodeSelectorRequirement { Key = key, OperatorProperty = op, Values = values.Length == 0 ? null : values.Split(',').ToList() }],
        };
        var status = new NodeAffinityPlugin().Filter(new CycleState(), PodWithRequired(term), NodeInfo.Create(LabelledNode()));
        Assert.AreEqual(matches ? StatusCode.Success : StatusCode.UnschedulableAndUnresolvable, status.Code);
        if (!matches) Assert.AreEqual("node(s) didn't match Pod's node affinity/selector", status.Message);
    }

    [TestMethod]
    // matchFields metadata.name operator, value | matches node "n1"
    [DataRow("In", "n1", true)]
    [DataRow("In", "n2", false)]
    [DataRow("NotIn", "n1", false)]
    [DataRow("NotIn", "n2", true)]
    public void Filter_MatchFieldsOnMetadataName(string op, string value, bool matches)
    {
        var term = new V1NodeSelectorTerm { MatchFields = [new V1NodeSelectorRequirement { Key = "metadata.name", OperatorProperty = op, Values = [value] }] };
        var status = new NodeAffinityPlugin().Filter(new CycleState(), PodWithRequired(term), NodeInfo.Create(LabelledNode("n1")));
        Assert.AreEqual(matches, status.IsSuccess);
    }

    [TestMethod]
    public void Filter_TermsAreOredAndRequirementsAnded()
    {
        static V1NodeSelectorRequirement Req(string k, string op, params string[] v) => new() { Key = k, OperatorProperty = op, Values = v.Length == 0 ? null : v.ToList() };
        var node = NodeInfo.Create(LabelledNode());
        var plugin = new NodeAffinityPlugin();
        var andFails = new V1NodeSelectorTerm { MatchExpressions = [Req("zone", "In", "a"), Req("disk", "In", "hdd")] };
        var orMatches = new V1NodeSelectorTerm { MatchExpressions = [Req("gen", "Gt", "1")] };
        Assert.IsFalse(plugin.Filter(new CycleState(), PodWithRequired(andFails), node).IsSuccess);
        Assert.IsTrue(plugin.Filter(new CycleState(), PodWithRequired(andFails, orMatches), node).IsSuccess);
        Assert.IsFalse(plugin.Filter(new CycleState(), PodWithRequired(new V1NodeSelectorTerm()), node).IsSuccess, "an empty term matches nothing");
    }

    [TestMethod]
    // nodeSelector (k=v;k=v) | matches
    [DataRow("zone=a", true)]
    [DataRow("zone=a;disk=ssd", true)]
    [DataRow("zone=b", false)]
    [DataRow("zone=a;other=x", false)]
    public void Filter_NodeSelector(string selector, bool matches)
    {
        var pod = TestObjects.Pod("p");
        pod.Spec.NodeSelector = selector.Split(';').Select(kv => kv.Split('=')).ToDictionary(a => a[0], a => a[1]);
        Assert.AreEqual(matches, new NodeAffinityPlugin().Filter(new CycleState(), pod, NodeInfo.Create(LabelledNode())).IsSuccess);
    }

    [TestMethod]
    public void Score_SumsPreferredWeights_NormalizedToBestNode()
    {
        static V1Node Node(string name, string zone, string disk) => new()
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["zone"] = zone, ["disk"] = disk } },
        };
        var pod = TestObjects.Pod("p");
        pod.Spec.Affinity = new V1Affinity
        {
            NodeAffinity = new V1NodeAffinity
            {
                PreferredDuringSchedulingIgnoredDuringExecution =
                [
                    new V1PreferredSchedulingTerm { Preference = new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = "zone", OperatorProperty = "In", Values = ["a"] }] }, Weight = 20 },
                    new V1PreferredSchedulingTerm { Preference = new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = "disk", OperatorProperty = "In", Values = ["ssd"] }] }, Weight = 60 },
                ],
            },
        };
        var plugin = new NodeAffinityPlugin();
        var nodes = new[] { Node("both", "a", "ssd"), Node("disk", "b", "ssd"), Node("zone", "a", "hdd"), Node("none", "b", "hdd") };
        var scores = nodes.Select(n => new NodeScore(n.Metadata.Name, plugin.Score(new CycleState(), pod, NodeInfo.Create(n)).Score)).ToList();
        CollectionAssert.AreEqual(new long[] { 80, 60, 20, 0 }, scores.Select(s => s.Score).ToArray());
        plugin.NormalizeScore(new CycleState(), pod, scores);
        CollectionAssert.AreEqual(new long[] { 100, 75, 25, 0 }, scores.Select(s => s.Score).ToArray());
    }
}
