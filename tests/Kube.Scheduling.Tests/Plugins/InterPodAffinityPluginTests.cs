using k8s.Models;
using Kube.Scheduling.Framework;
using Kube.Scheduling.Plugins.InterPodAffinity;

namespace Kube.Scheduling.Tests.Plugins;

[TestClass]
public sealed class InterPodAffinityPluginTests
{
    private const string Zone = "topology.kubernetes.io/zone";

    private static V1Node ZoneNode(string name, string zone)
    {
        var node = TestObjects.Node(name);
        node.Metadata.Labels = new Dictionary<string, string> { [Zone] = zone, ["kubernetes.io/hostname"] = name };
        return node;
    }

    private static V1Pod Labelled(string name, string app, string? nodeName = null, string ns = "default")
    {
        var pod = TestObjects.Pod(name, nodeName: nodeName);
        pod.Metadata.Labels = new Dictionary<string, string> { ["app"] = app };
        pod.Metadata.NamespaceProperty = ns;
        return pod;
    }

    private static V1PodAffinityTerm Term(string app, string key = Zone, string[]? namespaces = null, bool allNamespaces = false) => new()
    {
        TopologyKey = key,
        LabelSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = app } },
        Namespaces = namespaces?.ToList(),
        NamespaceSelector = allNamespaces ? new V1LabelSelector() : null,
    };

    private static Status Run(V1Pod pod, List<NodeInfo> nodes, string target)
    {
        var plugin = new InterPodAffinityPlugin();
        var state = new CycleState();
        Assert.IsTrue(plugin.PreFilter(state, pod, nodes).IsSuccess);
        return plugin.Filter(state, pod, nodes.Single(n => n.Name == target));
    }

    [TestMethod]
    // kind (affinity|anti) | existing pod app, its namespace, its node | term namespaces ("" = own), all namespaces | target | expected
    [DataRow("affinity", "db", "default", "a1", "", false, "a2", StatusCode.Success)]        // same zone as the db pod
    [DataRow("affinity", "db", "default", "a1", "", false, "b1", StatusCode.Unschedulable)]  // other zone
    [DataRow("affinity", "cache", "default", "a1", "", false, "a2", StatusCode.Unschedulable)] // no matching pod
    [DataRow("affinity", "db", "other", "a1", "", false, "a2", StatusCode.Unschedulable)]    // matching pod in another namespace
    [DataRow("affinity", "db", "other", "a1", "other", false, "a2", StatusCode.Success)]     // ... listed in namespaces
    [DataRow("affinity", "db", "other", "a1", "", true, "a2", StatusCode.Success)]           // ... empty namespaceSelector = all
    [DataRow("anti", "db", "default", "a1", "", false, "a2", StatusCode.Unschedulable)]
    [DataRow("anti", "db", "default", "a1", "", false, "b1", StatusCode.Success)]
    [DataRow("anti", "db", "other", "a1", "", false, "a2", StatusCode.Success)]
    public void Filter_RequiredTerms(string kind, string existingApp, string existingNs, string existingNode, string namespaces, bool allNs, string target, StatusCode expected)
    {
        var nodes = new List<NodeInfo>
        {
            NodeInfo.Create(ZoneNode("a1", "a"), Labelled("existing", existingApp, existingNode, existingNs)),
            NodeInfo.Create(ZoneNode("a2", "a")),
            NodeInfo.Create(ZoneNode("b1", "b")),
        };
        var pod = Labelled("incoming", "web");
        var term = Term("db", namespaces: namespaces.Length == 0 ? null : [namespaces], allNamespaces: allNs);
        pod.Spec.Affinity = kind == "affinity"
            ? new V1Affinity { PodAffinity = new V1PodAffinity { RequiredDuringSchedulingIgnoredDuringExecution = [term] } }
            : new V1Affinity { PodAntiAffinity = new V1PodAntiAffinity { RequiredDuringSchedulingIgnoredDuringExecution = [term] } };
        Assert.AreEqual(expected, Run(pod, nodes, target).Code);
    }

    [TestMethod]
    public void Filter_FirstPodOfAGroupMatchingItsOwnAffinity_MayGoAnywhere()
    {
        var nodes = new List<NodeInfo> { NodeInfo.Create(ZoneNode("a1", "a")) };
        var pod = Labelled("first", "web");
        pod.Spec.Affinity = new V1Affinity { PodAffinity = new V1PodAffinity { RequiredDuringSchedulingIgnoredDuringExecution = [Term("web")] } };
        Assert.IsTrue(Run(pod, nodes, "a1").IsSuccess);
    }

    [TestMethod]
    public void Filter_ExistingPodsAntiAffinity_RepelsTheIncomingPod()
    {
        var guard = Labelled("guard", "db", "a1");
        guard.Spec.Affinity = new V1Affinity { PodAntiAffinity = new V1PodAntiAffinity { RequiredDuringSchedulingIgnoredDuringExecution = [Term("web", "kubernetes.io/hostname")] } };
        var nodes = new List<NodeInfo> { NodeInfo.Create(ZoneNode("a1", "a"), guard), NodeInfo.Create(ZoneNode("a2", "a")) };
        var pod = Labelled("incoming", "web");
        var status = Run(pod, nodes, "a1");
        Assert.AreEqual(StatusCode.Unschedulable, status.Code);
        Assert.AreEqual("node(s) didn't satisfy existing pods anti-affinity rules", status.Message);
        Assert.IsTrue(Run(pod, nodes, "a2").IsSuccess, "hostname topology: the other node in the zone is fine");
    }

    [TestMethod]
    public void Score_PreferredAffinityAndAntiAffinity()
    {
        var nodes = new List<NodeInfo>
        {
            NodeInfo.Create(ZoneNode("a1", "a"), Labelled("db", "db", "a1")),
            NodeInfo.Create(ZoneNode("b1", "b")),
            NodeInfo.Create(ZoneNode("c1", "c"), Labelled("noisy", "noisy", "c1")),
        };
        var pod = Labelled("incoming", "web");
        pod.Spec.Affinity = new V1Affinity
        {
            PodAffinity = new V1PodAffinity { PreferredDuringSchedulingIgnoredDuringExecution = [new V1WeightedPodAffinityTerm { PodAffinityTerm = Term("db"), Weight = 10 }] },
            PodAntiAffinity = new V1PodAntiAffinity { PreferredDuringSchedulingIgnoredDuringExecution = [new V1WeightedPodAffinityTerm { PodAffinityTerm = Term("noisy"), Weight = 10 }] },
        };
        var plugin = new InterPodAffinityPlugin();
        var state = new CycleState();
        plugin.PreFilter(state, pod, nodes);
        var scores = nodes.Select(n => new NodeScore(n.Name, plugin.Score(state, pod, n).Score)).ToList();
        plugin.NormalizeScore(state, pod, scores);
        CollectionAssert.AreEqual(new long[] { 100, 50, 0 }, scores.Select(s => s.Score).ToArray());
    }

    /// <summary>An existing pod's own terms selecting the incoming (term-less) pod move the score of its zone, as upstream.</summary>
    [TestMethod]
    [DataRow("preferred-affinity", 1, DisplayName = "existing preferred affinity pulls the pod to its zone")]
    [DataRow("required-affinity", 1, DisplayName = "existing required affinity adds the hard weight in its zone")]
    [DataRow("preferred-anti", -1, DisplayName = "existing preferred anti-affinity pushes the pod away")]
    public void Score_CountsExistingPodsTermsThatSelectTheIncomingPod(string kind, int sign)
    {
        var existing = Labelled("e", "cache", nodeName: "a1");
        var term = Term("web");
        existing.Spec.Affinity = kind switch
        {
            "preferred-affinity" => new V1Affinity { PodAffinity = new V1PodAffinity { PreferredDuringSchedulingIgnoredDuringExecution = [new V1WeightedPodAffinityTerm { Weight = 50, PodAffinityTerm = term }] } },
            "required-affinity" => new V1Affinity { PodAffinity = new V1PodAffinity { RequiredDuringSchedulingIgnoredDuringExecution = [term] } },
            _ => new V1Affinity { PodAntiAffinity = new V1PodAntiAffinity { PreferredDuringSchedulingIgnoredDuringExecution = [new V1WeightedPodAffinityTerm { Weight = 50, PodAffinityTerm = term }] } },
        };
        var nodes = new List<NodeInfo> { NodeInfo.Create(ZoneNode("a1", "a"), existing), NodeInfo.Create(ZoneNode("b1", "b")) };
        var incoming = Labelled("in", "web");
        var plugin = new InterPodAffinityPlugin();
        var state = new CycleState();
        plugin.PreFilter(state, incoming, nodes);
        var scores = nodes.Select(n => new NodeScore(n.Name, plugin.Score(state, incoming, n).Score)).ToList();
        plugin.NormalizeScore(state, incoming, scores);
        Assert.AreEqual(sign > 0 ? 100 : 0, scores[0].Score);
        Assert.AreEqual(sign > 0 ? 0 : 100, scores[1].Score);
    }
}
