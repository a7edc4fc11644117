using k8s.Models;
using Kube.Scheduling.Framework;
using Kube.Scheduling.Plugins.InterPodAffinity;
using Kube.Scheduling.Plugins.NodeAffinity;
using Kube.Scheduling.Plugins.NodeName;
using Kube.Scheduling.Plugins.NodePorts;
using Kube.Scheduling.Plugins.NodeResourcesFit;
using Kube.Scheduling.Plugins.NodeUnschedulable;
using Kube.Scheduling.Plugins.PodTopologySpread;
using Kube.Scheduling.Plugins.TaintToleration;
using Kube.Scheduling.Queue;
using Microsoft.Extensions.Time.Testing;

namespace Kube.Scheduling.Tests.Queue;

[TestClass]
public sealed class QueueingHintsTests
{
    public TestContext TestContext { get; set; } = null!;

    private static SchedulingFramework Framework() => new("default-scheduler",
    [
        new NodeUnschedulablePlugin(), new NodeNamePlugin(), new TaintTolerationPlugin(), new NodeAffinityPlugin(), new NodePortsPlugin(),
        new NodeResourcesFitPlugin(), new PodTopologySpreadPlugin(), new InterPodAffinityPlugin(),
    ]);

    private static V1Node Node(string name, bool tainted = false, bool cordoned = false, string cpu = "4", string? zone = null)
    {
        var n = TestObjects.Node(name, cpu: cpu, unschedulable: cordoned, taints: tainted ? [TestObjects.Taint("k", "v", "NoSchedule")] : []);
        if (zone is not null) n.Metadata.Labels = new Dictionary<string, string> { ["zone"] = zone };
        return n;
    }

    /// <summary>Which events move a pod rejected by one plugin, with upstream's registrations and hints.</summary>
    [TestMethod]
    [DataRow("TaintToleration", "node-add-untainted", true)]
    [DataRow("TaintToleration", "node-add-tainted", false)]
    [DataRow("TaintToleration", "node-label", false)]
    [DataRow("TaintToleration", "pod-delete", false)]
    [DataRow("NodeUnschedulable", "node-add-cordoned", false)]
    [DataRow("NodeUnschedulable", "node-add-untainted", true)]
    [DataRow("NodeAffinity", "node-add-zone-a", true)]
    [DataRow("NodeAffinity", "node-add-untainted", false)]
    [DataRow("NodeAffinity", "node-taint", false)]
    [DataRow("NodeResourcesFit", "pod-delete", true)]
    [DataRow("NodeResourcesFit", "node-add-small", false)]
    [DataRow("NodeResourcesFit", "node-add-untainted", true)]
    [DataRow("NodePorts", "pod-delete", false)]
    [DataRow("PodTopologySpread", "pod-add", true)]
    [DataRow("InterPodAffinity", "pod-label", true)]
    [DataRow("InterPodAffinity", "node-taint", false)]
    [DataRow("NodeName", "node-add-untainted", true)]
    [DataRow("", "node-taint", true)]
    [DataRow("TaintToleration", "wildcard", true)]
    public void IsWorthRequeuing_FollowsTheRejectingPluginsHints(string plugin, string evt, bool expected)
    {
        var pod = TestObjects.Pod("p", cpu: "2");
        pod.Spec.NodeSelector = new Dictionary<string, string> { ["zone"] = "a" };
        var (e, o, n) = evt switch
        {
            "node-add-untainted" => (new ClusterEvent(EventResource.Node, ActionType.Add), (object?)null, (object?)Node("n")),
            "node-add-tainted" => (new ClusterEvent(EventResource.Node, ActionType.Add), null, Node("n", tainted: true)),
            "node-add-cordoned" => (new ClusterEvent(EventResource.Node, ActionType.Add), null, Node("n", cordoned: true)),
            "node-add-small" => (new ClusterEvent(EventResource.Node, ActionType.Add), null, Node("n", cpu: "1")),
            "node-add-zone-a" => (new ClusterEvent(EventResource.Node, ActionType.Add), null, Node("n", zone: "a")),
            "node-label" => (new ClusterEvent(EventResource.Node, ActionType.UpdateNodeLabel), Node("n"), Node("n", zone: "b")),
            "node-taint" => (new ClusterEvent(EventResource.Node, ActionType.UpdateNodeTaint), Node("n"), Node("n", tainted: true)),
            "pod-delete" => (new ClusterEvent(EventResource.Pod, ActionType.Delete), TestObjects.Pod("gone"), null),
            "pod-add" => (new ClusterEvent(EventResource.Pod, ActionType.Add), null, TestObjects.Pod("new")),
            "pod-label" => (new ClusterEvent(EventResource.Pod, ActionType.UpdatePodLabel), TestObjects.Pod("x"), TestObjects.Pod("x")),
            _ => (ClusterEvent.WildCard, null, null),
        };
        var rejected = plugin.Length == 0 ? new HashSet<string>() : new HashSet<string> { plugin };
        Assert.AreEqual(expected, Framework().IsWorthRequeuing(pod, rejected, e, o, n));
    }

    [TestMethod]
    public async Task Queue_MovesOnlyThePodsAnEventCanHelp_ThenBacksThemOff()
    {
        var time = new FakeTimeProvider();
        var fwk = Framework();
        using var q = new SchedulingQueue(time) { IsWorthRequeuing = (info, e, o, n) => fwk.IsWorthRequeuing(info.Pod, info.UnschedulablePlugins, e, o, n) };
        q.Add(TestObjects.Pod("needs-toleration"));
        q.Add(TestObjects.Pod("needs-cpu"));
        var a = (await q.PopAsync(TestContext.CancellationToken))!;
        var b = (await q.PopAsync(TestContext.CancellationToken))!;
        a.UnschedulablePlugins = new HashSet<string> { TaintTolerationPlugin.PluginName };
        b.UnschedulablePlugins = new HashSet<string> { NodeResourcesFitPlugin.PluginName };
        var cycle = q.SchedulingCycle;
        q.AddUnschedulableIfNotPresent(a, cycle);
        q.AddUnschedulableIfNotPresent(b, cycle);
        Assert.AreEqual(2, q.UnschedulableCount);

        // A pod is deleted: only the resource-starved pod may fit now.
        time.Advance(TimeSpan.FromMilliseconds(100));
        q.MoveAllToActiveOrBackoff(new ClusterEvent(EventResource.Pod, ActionType.Delete), TestObjects.Pod("gone"), null);
        Assert.AreEqual(1, q.UnschedulableCount);
        Assert.AreEqual(1, q.BackoffCount, "still within its 1 s backoff");
        time.Advance(TimeSpan.FromSeconds(1));
        q.FlushBackoffCompleted();
        Assert.AreEqual("needs-cpu", (await q.PopAsync(TestContext.CancellationToken))!.Pod.Metadata.Name);

        // A tainted node does not help the other; an untainted one does.
        q.MoveAllToActiveOrBackoff(new ClusterEvent(EventResource.Node, ActionType.Add), null, Node("t", tainted: true));
        Assert.AreEqual(1, q.UnschedulableCount);
        q.MoveAllToActiveOrBackoff(new ClusterEvent(EventResource.Node, ActionType.Add), null, Node("ok"));
        Assert.AreEqual(0, q.UnschedulableCount);
    }

    [TestMethod]
    public async Task EventsDuringAnAttempt_SendThePodToBackoff_OnlyWhenTheyCanHelpIt()
    {
        var time = new FakeTimeProvider();
        var fwk = Framework();
        using var q = new SchedulingQueue(time) { IsWorthRequeuing = (info, e, o, n) => fwk.IsWorthRequeuing(info.Pod, info.UnschedulablePlugins, e, o, n) };
        q.Add(TestObjects.Pod("a"));
        q.Add(TestObjects.Pod("b"));
        var a = (await q.PopAsync(TestContext.CancellationToken))!;
        var cycleA = q.SchedulingCycle;
        var b = (await q.PopAsync(TestContext.CancellationToken))!;
        var cycleB = q.SchedulingCycle;
        q.MoveAllToActiveOrBackoff(new ClusterEvent(EventResource.Node, ActionType.Add), null, Node("t", tainted: true));
        a.UnschedulablePlugins = new HashSet<string> { TaintTolerationPlugin.PluginName };
        b.UnschedulablePlugins = new HashSet<string> { NodeResourcesFitPlugin.PluginName };
        q.AddUnschedulableIfNotPresent(a, cycleA);
        q.AddUnschedulableIfNotPresent(b, cycleB);
        Assert.AreEqual(1, q.UnschedulableCount, "a tainted node cannot help the pod that needs a toleration");
        Assert.AreEqual(1, q.BackoffCount, "a new node with room can help the pod that needs cpu");
    }

    [TestMethod]
    public void NodeUpdateActions_NameWhatChanged_AndIgnoreHeartbeats()
    {
        var a = Node("n");
        var heartbeat = Node("n");
        heartbeat.Status.Conditions = [new V1NodeCondition { Type = "Ready", Status = "True", LastHeartbeatTime = DateTime.UtcNow }];
        Assert.AreEqual(ActionType.None, KubeScheduler.NodeUpdateActions(a, heartbeat));
        Assert.AreEqual(ActionType.UpdateNodeTaint, KubeScheduler.NodeUpdateActions(a, Node("n", cordoned: true)));
        Assert.AreEqual(ActionType.UpdateNodeTaint, KubeScheduler.NodeUpdateActions(a, Node("n", tainted: true)));
        Assert.AreEqual(ActionType.UpdateNodeLabel, KubeScheduler.NodeUpdateActions(a, Node("n", zone: "a")));
        Assert.AreEqual(ActionType.UpdateNodeAllocatable | ActionType.UpdateNodeLabel, KubeScheduler.NodeUpdateActions(a, Node("n", cpu: "8", zone: "a")));
    }
}
