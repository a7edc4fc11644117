using k8s.Models;
using Kube.Scheduling.Framework;
using Kube.Scheduling.Plugins.InterPodAffinity;

namespace Kube.Scheduling.Tests.Plugins;

/// <summary>
/// namespaceSelector of pod (anti-)affinity terms, as upstream: the term applies to the union of <c>namespaces</c> and the
/// namespaces whose labels the selector matches; <c>{}</c> means all namespaces; neither means the pod's own namespace.
/// </summary>
[TestClass]
public sealed class InterPodAffinityNamespaceSelectorTests
{
    private const string Zone = "topology.kubernetes.io/zone";
    private const string Hostname = "kubernetes.io/hostname";

    /// <summary>default (team=web), db-ns (team=data), other (team=misc), bare (no labels).</summary>
    private static readonly V1Namespace[] Namespaces =
    [
        Ns("default", "web"), Ns("db-ns", "data"), Ns("other", "misc"), new V1Namespace { Metadata = new V1ObjectMeta { Name = "bare" } },
    ];

    private static V1Namespace Ns(string name, string team) =>
        new() { Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["team"] = team } } };

    private static V1Node ZoneNode(string name, string zone)
    {
        var node = TestObjects.Node(name);
        node.Metadata.Labels = new Dictionary<string, string> { [Zone] = zone, [Hostname] = name };
        return node;
    }

    private static V1Pod Labelled(string name, string app, string? nodeName = null, string ns = "default")
    {
        var pod = TestObjects.Pod(name, nodeName: nodeName);
        pod.Metadata.Labels = new Dictionary<string, string> { ["app"] = app };
        pod.Metadata.NamespaceProperty = ns;
        pod.Metadata.Uid = ns + "-" + name;
        return pod;
    }

    /// <summary>"team=data", "team in (data,misc)", "{}" (all), "-" (null).</summary>
    private static V1LabelSelector? Selector(string text) => text switch
    {
        "-" => null,
        "{}" => new V1LabelSelector(),
        "team in (data,misc)" => new V1LabelSelector { MatchExpressions = [new V1LabelSelectorRequirement { Key = "team", OperatorProperty = "In", Values = ["data", "misc"] }] },
        _ => new V1LabelSelector { MatchLabels = new Dictionary<string, string> { [text.Split('=')[0]] = text.Split('=')[1] } },
    };

    private static V1PodAffinityTerm Term(string app, string nsSelector, string namespaces, string key = Zone) => new()
    {
        TopologyKey = key,
        LabelSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = app } },
        Namespaces = namespaces.Length == 0 ? null : namespaces.Split(',').ToList(),
        NamespaceSelector = Selector(nsSelector),
    };

    private static List<NodeInfo> Nodes(params V1Pod[] onA1) =>
    [
        NodeInfo.Create(ZoneNode("a1", "a"), onA1),
        NodeInfo.Create(ZoneNode("a2", "a")),
        NodeInfo.Create(ZoneNode("b1", "b")),
    ];

    private static Status Filter(InterPodAffinityPlugin plugin, V1Pod pod, IReadOnlyList<NodeInfo> nodes, string target)
    {
        var state = new CycleState();
        Assert.IsTrue(plugin.PreFilter(state, pod, nodes).IsSuccess);
        return plugin.Filter(state, pod, nodes.Single(n => n.Name == target));
    }

    [TestMethod]
    // kind | existing db pod's namespace | term's namespaceSelector | term's namespaces | expected on a2 (the db pod's zone)
    [DataRow("affinity", "db-ns", "team=data", "", StatusCode.Success, DisplayName = "affinity: selector matches the db pod's namespace")]
    [DataRow("affinity", "other", "team=data", "", StatusCode.Unschedulable, DisplayName = "affinity: selector does not match")]
    [DataRow("affinity", "default", "team=data", "", StatusCode.Unschedulable, DisplayName = "affinity: a selector replaces the own-namespace default")]
    [DataRow("affinity", "other", "team=data", "other", StatusCode.Success, DisplayName = "affinity: union with the listed namespaces")]
    [DataRow("affinity", "other", "team in (data,misc)", "", StatusCode.Success, DisplayName = "affinity: matchExpressions")]
    [DataRow("affinity", "bare", "{}", "", StatusCode.Success, DisplayName = "affinity: {} selects every namespace")]
    [DataRow("affinity", "default", "-", "", StatusCode.Success, DisplayName = "affinity: null selector and no namespaces: own namespace")]
    [DataRow("affinity", "db-ns", "-", "", StatusCode.Unschedulable, DisplayName = "affinity: null selector: other namespaces not selected")]
    [DataRow("anti", "db-ns", "team=data", "", StatusCode.Unschedulable, DisplayName = "anti-affinity: selector matches, repelled")]
    [DataRow("anti", "other", "team=data", "", StatusCode.Success, DisplayName = "anti-affinity: selector does not match")]
    [DataRow("anti", "bare", "{}", "", StatusCode.Unschedulable, DisplayName = "anti-affinity: {} selects every namespace")]
    public void Filter_IncomingPodsRequiredTerms(string kind, string existingNs, string nsSelector, string namespaces, StatusCode expected)
    {
        var nodes = Nodes(Labelled("db", "db", "a1", existingNs));
        var pod = Labelled("incoming", "web");
        var term = Term("db", nsSelector, namespaces);
        pod.Spec.Affinity = kind == "affinity"
            ? new V1Affinity { PodAffinity = new V1PodAffinity { RequiredDuringSchedulingIgnoredDuringExecution = [term] } }
            : new V1Affinity { PodAntiAffinity = new V1PodAntiAffinity { RequiredDuringSchedulingIgnoredDuringExecution = [term] } };
        Assert.AreEqual(expected, Filter(new InterPodAffinityPlugin(Namespaces), pod, nodes, "a2").Code);
        // The other zone is the opposite for anti-affinity and never fits required affinity (no db pod there).
        var other = Filter(new InterPodAffinityPlugin(Namespaces), pod, nodes, "b1").Code;
        Assert.AreEqual(kind == "affinity" ? StatusCode.Unschedulable : StatusCode.Success, other);
    }

    [TestMethod]
    public void Filter_WithoutNamespaces_ASelectorSelectsNoNamespace()
    {
        var nodes = Nodes(Labelled("db", "db", "a1", "db-ns"));
        var pod = Labelled("incoming", "web");
        pod.Spec.Affinity = new V1Affinity { PodAffinity = new V1PodAffinity { RequiredDuringSchedulingIgnoredDuringExecution = [Term("db", "team=data", "")] } };
        Assert.AreEqual(StatusCode.Unschedulable, Filter(new InterPodAffinityPlugin(), pod, nodes, "a2").Code);
    }

    [TestMethod]
    // the incoming web pod's namespace | expected on a1, where a guard in db-ns repels web pods of team=web namespaces
    [DataRow("default", StatusCode.Unschedulable, DisplayName = "existing anti-affinity: the incoming pod's namespace labels match")]
    [DataRow("other", StatusCode.Success, DisplayName = "existing anti-affinity: the incoming pod's namespace labels do not match")]
    [DataRow("bare", StatusCode.Success, DisplayName = "existing anti-affinity: a namespace without labels")]
    public void Filter_ExistingPodsAntiAffinity_MatchesTheIncomingPodsNamespaceLabels(string incomingNs, StatusCode expected)
    {
        var guard = Labelled("guard", "db", "a1", "db-ns");
        guard.Spec.Affinity = new V1Affinity { PodAntiAffinity = new V1PodAntiAffinity { RequiredDuringSchedulingIgnoredDuringExecution = [Term("web", "team=web", "", Hostname)] } };
        var nodes = Nodes(guard);
        var pod = Labelled("incoming", "web", ns: incomingNs);
        var status = Filter(new InterPodAffinityPlugin(Namespaces), pod, nodes, "a1");
        Assert.AreEqual(expected, status.Code);
        if (expected != StatusCode.Success) Assert.AreEqual(InterPodAffinityPlugin.ErrReasonExistingAntiAffinityRulesNotMatch, status.Message);
        Assert.IsTrue(Filter(new InterPodAffinityPlugin(Namespaces), pod, nodes, "a2").IsSuccess, "hostname topology: the other node is fine");
    }

    [TestMethod]
    // whose term | term's namespaceSelector | expected normalized scores of zone a (db pods in db-ns) and zone b (db pods in other)
    [DataRow("incoming-preferred", "team=data", 100L, 0L, DisplayName = "incoming preferred affinity counts only pods in selected namespaces")]
    [DataRow("incoming-preferred", "team=misc", 0L, 100L, DisplayName = "incoming preferred affinity, the other namespace selected")]
    [DataRow("incoming-preferred", "{}", 0L, 0L, DisplayName = "incoming preferred affinity, all namespaces: a tie")]
    [DataRow("existing-preferred", "team=web", 100L, 0L, DisplayName = "existing pod's preferred affinity selecting the incoming pod's namespace")]
    [DataRow("existing-preferred", "team=data", 0L, 0L, DisplayName = "existing pod's preferred affinity not selecting it")]
    public void Score_PreferredTermsWithNamespaceSelector(string whose, string nsSelector, long expectedA, long expectedB)
    {
        var dbA = Labelled("db", "db", "a1", "db-ns");
        var dbB = Labelled("db", "db", "b1", "other");
        var pod = Labelled("incoming", "web");
        var weighted = new V1WeightedPodAffinityTerm { Weight = 10 };
        if (whose == "incoming-preferred")
        {
            weighted.PodAffinityTerm = Term("db", nsSelector, "");
            pod.Spec.Affinity = new V1Affinity { PodAffinity = new V1PodAffinity { PreferredDuringSchedulingIgnoredDuringExecution = [weighted] } };
        }
        else
        {
            weighted.PodAffinityTerm = Term("web", nsSelector, "");
            dbA.Spec.Affinity = new V1Affinity { PodAffinity = new V1PodAffinity { PreferredDuringSchedulingIgnoredDuringExecution = [weighted] } };
        }

        var nodes = new List<NodeInfo> { NodeInfo.Create(ZoneNode("a1", "a"), dbA), NodeInfo.Create(ZoneNode("b1", "b"), dbB) };
        var plugin = new InterPodAffinityPlugin(Namespaces);
        var state = new CycleState();
        Assert.IsTrue(plugin.PreFilter(state, pod, nodes).IsSuccess);
        var scores = nodes.Select(n => new NodeScore(n.Name, plugin.Score(state, pod, n).Score)).ToList();
        plugin.NormalizeScore(state, pod, scores);
        CollectionAssert.AreEqual(new[] { expectedA, expectedB }, scores.Select(s => s.Score).ToArray());
    }

    [TestMethod]
    // the pod's term selector | the namespace that changed | expected hint
    [DataRow("team=data", "db-ns", QueueingHint.Queue, DisplayName = "a term with a namespaceSelector: any namespace relabel may help")]
    [DataRow("-", "db-ns", QueueingHint.QueueSkip, DisplayName = "no namespaceSelector: another namespace's labels do not matter")]
    [DataRow("-", "default", QueueingHint.Queue, DisplayName = "the pod's own namespace: existing pods' selectors look at it")]
    public void NamespaceLabelChange_IsAQueueingEvent(string nsSelector, string changed, QueueingHint expected)
    {
        var plugin = new InterPodAffinityPlugin(Namespaces);
        var registration = plugin.EventsToRegister().Single(e => e.Event.Resource == EventResource.Namespace);
        Assert.IsTrue(registration.Event.Matches(new ClusterEvent(EventResource.Namespace, ActionType.UpdateNamespaceLabel)));
        var pod = Labelled("incoming", "web");
        pod.Spec.Affinity = new V1Affinity { PodAffinity = new V1PodAffinity { RequiredDuringSchedulingIgnoredDuringExecution = [Term("db", nsSelector, "")] } };
        var before = Namespaces.Single(n => n.Metadata.Name == changed);
        var after = Ns(changed, "changed");
        Assert.AreEqual(expected, registration.Hint!(pod, before, after));
    }
}
