using k8s.Models;
using Kube.Scheduling.Framework;
using Kube.Scheduling.Plugins.DefaultPreemption;
using Kube.Scheduling.Plugins.NodeResourcesFit;
using Kube.Scheduling.Plugins.PodTopologySpread;
using Kube.Scheduling.Plugins.TaintToleration;

namespace Kube.Scheduling.Tests.Plugins;

[TestClass]
public sealed class DefaultPreemptionTests
{
    private static SchedulingFramework Framework() =>
        new("default-scheduler", [new TaintTolerationPlugin(), new NodeResourcesFitPlugin(), new PodTopologySpreadPlugin()]);

    private static V1Pod Pod(string name, string cpu, int priority, int startMinute = 0, string? app = null)
    {
        var p = TestObjects.Pod(name, cpu: cpu, priority: priority, nodeName: "n");
        p.Status = new V1PodStatus { StartTime = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes(startMinute) };
        if (app is not null) p.Metadata.Labels = new Dictionary<string, string> { ["app"] = app };
        return p;
    }

    private static PreemptionCandidate? Victims(SchedulingFramework fwk, V1Pod preemptor, NodeInfo node, params V1PodDisruptionBudget[] pdbs)
    {
        var state = new CycleState();
        Assert.IsTrue(fwk.RunPreFilter(state, preemptor, [node]).IsSuccess);
        return DefaultPreemptionPlugin.SelectVictimsOnNode(fwk, state, preemptor, node, pdbs);
    }

    [TestMethod]
    public void SelectVictimsOnNode_RemovesOnlyLowerPriorityPods_AndReprievesTheMostImportantFirst()
    {
        var node = NodeInfo.Create(TestObjects.Node("n", cpu: "4"), Pod("a", "1", 1), Pod("b", "1", 2), Pod("c", "1", 3), Pod("d", "1", 100));
        var c = Victims(Framework(), TestObjects.Pod("hi", cpu: "2", priority: 50), node);
        Assert.IsNotNull(c);
        CollectionAssert.AreEqual(new[] { "b", "a" }, c.Victims.Select(v => v.Metadata.Name).ToArray());
        Assert.AreEqual(0, c.NumPdbViolations);
    }

    [TestMethod]
    public void SelectVictimsOnNode_IsNull_WhenEvenRemovingEveryLowerPriorityPodDoesNotHelp()
    {
        var node = NodeInfo.Create(TestObjects.Node("n", cpu: "4"), Pod("a", "1", 1), Pod("d", "3", 100));
        Assert.IsNull(Victims(Framework(), TestObjects.Pod("hi", cpu: "2", priority: 50), node));
    }

    [TestMethod]
    public void SelectVictimsOnNode_PrefersVictimsThatBreakNoPdb()
    {
        var pdb = new V1PodDisruptionBudget
        {
            Metadata = new V1ObjectMeta { Name = "pdb", NamespaceProperty = "default" },
            Spec = new V1PodDisruptionBudgetSpec { Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "x" } } },
            Status = new V1PodDisruptionBudgetStatus { DisruptionsAllowed = 0 },
        };
        // 'a' is protected by the PDB; 'b' is older (more important) but unprotected: the PDB decides first.
        var node = NodeInfo.Create(TestObjects.Node("n", cpu: "2"), Pod("a", "1", 1, startMinute: 5, app: "x"), Pod("b", "1", 1, startMinute: 1));
        var c = Victims(Framework(), TestObjects.Pod("hi", cpu: "1", priority: 50), node, pdb);
        Assert.IsNotNull(c);
        CollectionAssert.AreEqual(new[] { "b" }, c.Victims.Select(v => v.Metadata.Name).ToArray());
        Assert.AreEqual(0, c.NumPdbViolations);

        // Without room for any reprieve, the protected pod is a victim and counts as a violation.
        var full = NodeInfo.Create(TestObjects.Node("n", cpu: "2"), Pod("a", "1", 1, app: "x"), Pod("b", "1", 1));
        var both = Victims(Framework(), TestObjects.Pod("hi", cpu: "2", priority: 50), full, pdb);
        Assert.AreEqual(2, both!.Victims.Count);
        Assert.AreEqual(1, both.NumPdbViolations);
    }

    /// <summary>Candidates as "node:pdbViolations:priority@startMinute,..." separated by '|'.</summary>
    [TestMethod]
    [DataRow("a:1:1@0|b:0:5@0", "b", DisplayName = "fewest PDB violations first")]
    [DataRow("a:0:5@0|b:0:3@0,3@0", "b", DisplayName = "then the lowest highest victim priority")]
    [DataRow("a:0:3@0,3@0|b:0:3@0,1@0", "b", DisplayName = "then the smallest priority sum")]
    [DataRow("a:0:3@0,1@0|b:0:3@0", "b", DisplayName = "fewer victims give a smaller sum")]
    [DataRow("a:0:5@10|b:0:5@20", "b", DisplayName = "then the latest start of the highest-priority victims")]
    [DataRow("a:0:5@20,1@0|b:0:5@10,1@30", "a", DisplayName = "start time looks only at the highest priority")]
    [DataRow("a:0:5@10|b:0:5@10", "a", DisplayName = "then the first")]
    public void SelectCandidate_FollowsUpstreamsOrder(string spec, string expected)
    {
        var candidates = spec.Split('|').Select(c =>
        {
            var parts = c.Split(':');
            var victims = parts[2].Split(',').Select((v, i) =>
            {
                var pv = v.Split('@');
                return Pod($"{parts[0]}{i}", "1", int.Parse(pv[0]), int.Parse(pv[1]));
            }).ToList();
            return new PreemptionCandidate(parts[0], victims, int.Parse(parts[1]));
        }).ToList();
        Assert.AreEqual(expected, DefaultPreemptionPlugin.SelectCandidate(candidates).NodeName);
    }

    [TestMethod]
    [DataRow("Never", false, "not eligible due to preemptionPolicy=Never.")]
    [DataRow("PreemptLowerPriority", true, "")]
    [DataRow(null, true, "")]
    public void PodEligibleToPreemptOthers_HonoursPreemptionPolicy(string? policy, bool eligible, string reason)
    {
        var pod = TestObjects.Pod("hi", priority: 10);
        pod.Spec.PreemptionPolicy = policy;
        var (ok, why) = DefaultPreemptionPlugin.PodEligibleToPreemptOthers(pod, []);
        Assert.AreEqual(eligible, ok);
        Assert.AreEqual(reason, why);
    }

    [TestMethod]
    public void PodEligibleToPreemptOthers_WaitsForTerminatingVictimsOnItsNominatedNode()
    {
        var victim = Pod("low", "1", 1);
        victim.Metadata.DeletionTimestamp = DateTime.UtcNow;
        var pod = TestObjects.Pod("hi", priority: 10);
        pod.Status = new V1PodStatus { NominatedNodeName = "n" };
        var (ok, why) = DefaultPreemptionPlugin.PodEligibleToPreemptOthers(pod, [NodeInfo.Create(TestObjects.Node("n"), victim)]);
        Assert.IsFalse(ok);
        Assert.AreEqual("not eligible due to a terminating pod on the nominated node.", why);
    }

    [TestMethod]
    public void FindCandidates_SkipsUnresolvableNodes_AndExplainsInUpstreamsWords()
    {
        var fwk = Framework();
        var tainted = NodeInfo.Create(TestObjects.Node("tainted", taints: TestObjects.Taint("k", "v", "NoSchedule")));
        var busy = NodeInfo.Create(TestObjects.Node("busy", cpu: "1"), Pod("same", "1", 10));
        var open = NodeInfo.Create(TestObjects.Node("open", cpu: "1"), Pod("low", "1", 1));
        var pod = TestObjects.Pod("hi", cpu: "1", priority: 10);
        var state = new CycleState();
        var nodes = new[] { tainted, busy, open };
        fwk.RunPreFilter(state, pod, nodes);
        var filtered = nodes.ToDictionary(n => n.Name, n => fwk.RunFilter(state, pod, n));
        var (candidates, statuses) = DefaultPreemptionPlugin.FindCandidates(fwk, state, pod, nodes, filtered, [], new DefaultPreemptionArgs(), 0);
        Assert.AreEqual("open", candidates.Single().NodeName);
        Assert.AreEqual("0/3 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.",
            FitError.Message(3, null, statuses));
    }

    [TestMethod]
    public void PodTopologySpread_RemovePod_LetsPreemptionSeeTheSkewDrop()
    {
        var constraint = new V1TopologySpreadConstraint
        {
            MaxSkew = 1, TopologyKey = "zone", WhenUnsatisfiable = "DoNotSchedule",
            LabelSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "web" } },
        };
        V1Node Zoned(string name, string zone)
        {
            var n = TestObjects.Node(name);
            n.Metadata.Labels = new Dictionary<string, string> { ["zone"] = zone };
            return n;
        }

        var a = NodeInfo.Create(Zoned("a", "z1"), Pod("w1", "1", 1, app: "web"), Pod("w2", "1", 1, app: "web"));
        var b = NodeInfo.Create(Zoned("b", "z2"), Pod("w3", "1", 100, app: "web"));
        var pod = TestObjects.Pod("hi", cpu: "1", priority: 10);
        pod.Metadata.Labels = new Dictionary<string, string> { ["app"] = "web" };
        pod.Spec.TopologySpreadConstraints = [constraint];
        var plugin = new PodTopologySpreadPlugin();
        var state = new CycleState();
        plugin.PreFilter(state, pod, [a, b]);
        Assert.IsFalse(plugin.Filter(state, pod, a).IsSuccess, "z1 has 2, z2 has 1: adding to z1 makes skew 2");
        var clone = state.Clone();
        plugin.RemovePod(clone, pod, a.Pods[0], a);
        Assert.IsTrue(plugin.Filter(clone, pod, a).IsSuccess, "without one z1 pod the skew is 1");
        Assert.IsFalse(plugin.Filter(state, pod, a).IsSuccess, "the original state is untouched");
        plugin.AddPod(clone, pod, a.Pods[0], a);
        Assert.IsFalse(plugin.Filter(clone, pod, a).IsSuccess);
    }
}
