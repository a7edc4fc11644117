using k8s.Models;
using Kube.Core.Client;

namespace Kube.Scheduling.Tests.Integration;

[TestClass]
public sealed class PreemptionIntegrationTests
{
    [TestMethod]
    [Timeout(90_000, CooperativeCancellation = true)]
    [DataRow(true, DisplayName = "asynchronous preemption (the default, as upstream since 1.33)")]
    [DataRow(false, DisplayName = "preemption's API calls within the scheduling cycle")]
    public async Task HighPriorityPod_PreemptsLowerPriorityPod_IsNominated_AndBindsOnceTheVictimIsGone(bool asyncPreemption)
    {
        await using var cluster = await SchedulerCluster.StartAsync(o => o.AsyncPreemption = asyncPreemption);
        await cluster.CreateNodeAsync(TestObjects.Node("only", cpu: "2"));
        await cluster.CreatePodAsync(TestObjects.Pod("low", cpu: "2", priority: 1));
        await SchedulerCluster.WaitForAsync(async () => (await cluster.Client.GetAsync<V1Pod>("low", "default")).Spec.NodeName == "only", "the low-priority pod bound");

        var never = TestObjects.Pod("never", cpu: "2", priority: 1000);
        never.Spec.PreemptionPolicy = "Never";
        await cluster.CreatePodAsync(never);
        await SchedulerCluster.WaitForAsync(async () =>
            (await cluster.Client.GetAsync<V1Pod>("never", "default")).Status?.Conditions?.Any(c => c.Type == "PodScheduled"
                && c.Message == "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.") == true,
            "the Never pod to stay pending with upstream's message");
        await cluster.Client.DeleteAsync<V1Pod>("never", "default", new DeleteOptions { GracePeriodSeconds = 0 });

        await cluster.CreatePodAsync(TestObjects.Pod("high", cpu: "2", priority: 100));
        await SchedulerCluster.WaitForAsync(async () =>
        {
            var low = (await cluster.PodsAsync()).FirstOrDefault(p => p.Metadata.Name == "low");
            return low is null || low.Metadata.DeletionTimestamp is not null;
        }, "the victim to be deleted");
        await SchedulerCluster.WaitForAsync(async () => (await cluster.Client.GetAsync<V1Pod>("high", "default")).Status?.NominatedNodeName == "only", "the preemptor nominated");
        var events = (await cluster.Client.ListAsync<Corev1Event>("default")).Items;
        Assert.IsTrue(events.Any(e => e.Reason == "Preempted" && e.InvolvedObject.Name == "low"), "a Preempted event on the victim");

        // The victim is bound to a node without an agent, so it stays terminating until it is force-deleted, as a kubelet would.
        if ((await cluster.PodsAsync()).Any(p => p.Metadata.Name == "low"))
        {
            var victim = await cluster.Client.GetAsync<V1Pod>("low", "default");
            Assert.IsTrue(victim.Status?.Conditions?.Any(c => c.Type == "DisruptionTarget" && c.Reason == "PreemptionByScheduler") == true, "DisruptionTarget condition");
            await cluster.Client.DeleteAsync<V1Pod>("low", "default", new DeleteOptions { GracePeriodSeconds = 0 });
        }

        await SchedulerCluster.WaitForAsync(async () => (await cluster.Client.GetAsync<V1Pod>("high", "default")).Spec.NodeName == "only", "the preemptor bound");
    }

    [TestMethod]
    [Timeout(90_000, CooperativeCancellation = true)]
    public async Task NominatedNode_IsNotTakenByALowerPriorityPod()
    {
        await using var cluster = await SchedulerCluster.StartAsync();
        await cluster.CreateNodeAsync(TestObjects.Node("only", cpu: "2"));
        await cluster.CreatePodAsync(TestObjects.Pod("low", cpu: "2", priority: 1));
        await SchedulerCluster.WaitForAsync(async () => (await cluster.Client.GetAsync<V1Pod>("low", "default")).Spec.NodeName == "only", "the low-priority pod bound");
        await cluster.CreatePodAsync(TestObjects.Pod("high", cpu: "2", priority: 100));
        await SchedulerCluster.WaitForAsync(async () => (await cluster.Client.GetAsync<V1Pod>("high", "default")).Status?.NominatedNodeName == "only", "the preemptor nominated");

        // A mid-priority pod arrives while the victim terminates: the room is the preemptor's.
        await cluster.CreatePodAsync(TestObjects.Pod("mid", cpu: "1", priority: 50));
        await cluster.Client.DeleteAsync<V1Pod>("low", "default", new DeleteOptions { GracePeriodSeconds = 0 });
        await SchedulerCluster.WaitForAsync(async () => (await cluster.Client.GetAsync<V1Pod>("high", "default")).Spec.NodeName == "only", "the preemptor bound");
        Assert.IsTrue(string.IsNullOrEmpty((await cluster.Client.GetAsync<V1Pod>("mid", "default")).Spec.NodeName), "mid stays pending");
    }
}
