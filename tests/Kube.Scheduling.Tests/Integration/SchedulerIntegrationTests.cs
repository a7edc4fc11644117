using k8s.Models;
using Microsoft.Extensions.Hosting;
using Kube.Scheduling.Framework;

namespace Kube.Scheduling.Tests.Integration;

[TestClass]
public sealed class SchedulerIntegrationTests
{
    [TestMethod]
    [Timeout(90_000, CooperativeCancellation = true)]
    public async Task Pods_AreBoundWithinResourcesAndTaints_TheRestReportUpstreamMessage_UntilANodeArrives()
    {
        var attempts = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Kube.Scheduling" && instrument.Name == "scheduler_schedule_attempts_total") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var t in tags)
                if (t.Key == "result" && t.Value is string r) attempts.Enqueue(r);
        });
        listener.Start();
        await using var cluster = await SchedulerCluster.StartAsync();
        await cluster.CreateNodeAsync(TestObjects.Node("small", cpu: "1"));
        await cluster.CreateNodeAsync(TestObjects.Node("big", cpu: "4"));
        await cluster.CreateNodeAsync(TestObjects.Node("tainted", cpu: "8", taints: TestObjects.Taint("dedicated", "gpu", "NoSchedule")));
        for (var i = 0; i < 6; i++) await cluster.CreatePodAsync(TestObjects.Pod($"p{i}", cpu: "1"));

        // 5 cpu fit on small (1) and big (4); nothing lands on the tainted node; one pod is left over.
        await SchedulerCluster.WaitForAsync(async () => (await cluster.PodsAsync()).Count(p => !string.IsNullOrEmpty(p.Spec.NodeName)) == 5, "5 bound pods");
        var pods = await cluster.PodsAsync();
        Assert.AreEqual(1, pods.Count(p => p.Spec.NodeName == "small"));
        Assert.AreEqual(4, pods.Count(p => p.Spec.NodeName == "big"));
        Assert.AreEqual(0, pods.Count(p => p.Spec.NodeName == "tainted"));

        var pending = pods.Single(p => string.IsNullOrEmpty(p.Spec.NodeName)).Metadata.Name;
        await SchedulerCluster.WaitForAsync(async () =>
        {
            var c = (await cluster.Client.GetAsync<V1Pod>(pending, "default")).Status?.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled");
            return c is { Status: "False", Reason: "Unschedulable" }
                && c.Message == "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient cpu. "
                    + "preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.";
        }, "the PodScheduled=False condition with upstream's message");
        await SchedulerCluster.WaitForAsync(async () => (await cluster.Client.ListAsync<Corev1Event>("default")).Items
            .Any(e => e.Reason == "FailedScheduling" && e.InvolvedObject.Name == pending && e.Type == "Warning"), "a FailedScheduling event");

        // A new node is a cluster event: the unschedulable pod is retried and bound there.
        await cluster.CreateNodeAsync(TestObjects.Node("fresh", cpu: "2"));
        await SchedulerCluster.WaitForAsync(async () => (await cluster.Client.GetAsync<V1Pod>(pending, "default")).Spec.NodeName == "fresh", "the pending pod on the new node");
        Assert.IsTrue(attempts.Count(a => a == "scheduled") >= 6, "scheduled attempts are counted");
        Assert.IsTrue(attempts.Any(a => a == "unschedulable"), "unschedulable attempts are counted");
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task TolerantPods_MayUseTaintedNodes_PodsOfOtherSchedulersAreIgnored()
    {
        await using var cluster = await SchedulerCluster.StartAsync();
        await cluster.CreateNodeAsync(TestObjects.Node("tainted", cpu: "2", taints: TestObjects.Taint("dedicated", "gpu", "NoSchedule")));
        await cluster.CreateNodeAsync(TestObjects.Node("cordoned", cpu: "8", unschedulable: true));
        var tolerant = TestObjects.Pod("tolerant", cpu: "1", tolerations: new V1Toleration { Key = "dedicated", OperatorProperty = "Equal", Value = "gpu", Effect = "NoSchedule" });
        await cluster.CreatePodAsync(tolerant);
        var foreign = TestObjects.Pod("foreign", cpu: "1");
        foreign.Spec.SchedulerName = "someone-else";
        await cluster.CreatePodAsync(foreign);

        await SchedulerCluster.WaitForAsync(async () => (await cluster.Client.GetAsync<V1Pod>("tolerant", "default")).Spec.NodeName == "tainted", "the tolerant pod on the tainted node");
        var other = await cluster.Client.GetAsync<V1Pod>("foreign", "default");
        Assert.IsTrue(string.IsNullOrEmpty(other.Spec.NodeName));
        Assert.IsFalse(other.Status?.Conditions?.Any(c => c.Type == "PodScheduled" && c.Status == "False") == true, "another scheduler's pod is not touched");
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task UserPlugin_AndSecondProfile_AreUsedThroughTheRegistry()
    {
        await using var cluster = await SchedulerCluster.StartAsync(
            o =>
            {
                // The default profile gets every registered plugin, the user's included; "plain" leaves it out.
                o.Profiles.Add(new SchedulerProfile());
                var plain = new SchedulerProfile { SchedulerName = "plain" };
                plain.Disabled.Add(AvoidLabelledNodesPlugin.PluginName);
                o.Profiles.Add(plain);
            },
            b => b.AddPlugin<AvoidLabelledNodesPlugin>(AvoidLabelledNodesPlugin.PluginName));
        var avoided = TestObjects.Node("avoided", cpu: "8");
        avoided.Metadata.Labels = new Dictionary<string, string> { ["avoid"] = "true" };
        await cluster.CreateNodeAsync(avoided);

        await cluster.CreatePodAsync(TestObjects.Pod("default-pod", cpu: "1"));
        var plainPod = TestObjects.Pod("plain-pod", cpu: "1");
        plainPod.Spec.SchedulerName = "plain";
        await cluster.CreatePodAsync(plainPod);

        await SchedulerCluster.WaitForAsync(async () => (await cluster.Client.GetAsync<V1Pod>("plain-pod", "default")).Spec.NodeName == "avoided", "the plain profile to use the node");
        await SchedulerCluster.WaitForAsync(async () =>
            (await cluster.Client.GetAsync<V1Pod>("default-pod", "default")).Status?.Conditions?.Any(c => c.Type == "PodScheduled" && c.Message == "0/1 nodes are available: 1 node(s) were avoided. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.") == true,
            "the default profile to refuse it with the plugin's reason");
    }

    [TestMethod]
    [Timeout(90_000, CooperativeCancellation = true)]
    public async Task LeaderElection_OnlyTheLeaderBinds_AndTheStandbyTakesOver()
    {
        static void Elect(SchedulerOptions o, string id)
        {
            o.LeaderElection = true;
            o.LeaseNamespace = "default";
            o.Identity = id;
        }

        await using var cluster = await SchedulerCluster.StartAsync(o => Elect(o, "first"));
        await SchedulerCluster.WaitForAsync(async () =>
        {
            try
            {
                return (await cluster.Client.GetAsync<V1Lease>("kube-scheduler", "default")).Spec.HolderIdentity == "first";
            }
            catch (Kube.Core.Client.NotFoundException)
            {
                return false;
            }
        }, "the first scheduler to lead");
        using var standby = await cluster.StartAnotherSchedulerAsync(o => Elect(o, "second"));

        await cluster.CreateNodeAsync(TestObjects.Node("n1"));
        await cluster.CreatePodAsync(TestObjects.Pod("a", cpu: "100m"));
        await SchedulerCluster.WaitForAsync(async () => (await cluster.Client.GetAsync<V1Pod>("a", "default")).Spec.NodeName == "n1", "the leader to bind");
        Assert.AreEqual("first", (await cluster.Client.GetAsync<V1Lease>("kube-scheduler", "default")).Spec.HolderIdentity);

        await cluster.StopSchedulerAsync();
        await cluster.CreatePodAsync(TestObjects.Pod("b", cpu: "100m"));
        await SchedulerCluster.WaitForAsync(async () => (await cluster.Client.GetAsync<V1Pod>("b", "default")).Spec.NodeName == "n1", "the standby to take over and bind", TimeSpan.FromSeconds(30));
        Assert.AreEqual("second", (await cluster.Client.GetAsync<V1Lease>("kube-scheduler", "default")).Spec.HolderIdentity);
        await standby.StopAsync(TimeSpan.FromSeconds(10));
    }
}
