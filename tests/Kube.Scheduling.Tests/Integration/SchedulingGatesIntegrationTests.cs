using k8s.Models;

namespace Kube.Scheduling.Tests.Integration;

[TestClass]
public sealed class SchedulingGatesIntegrationTests
{
    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task GatedPod_StaysUnscheduledWithoutAttempts_UntilItsGateIsRemoved()
    {
        await using var cluster = await SchedulerCluster.StartAsync();
        await cluster.CreateNodeAsync(TestObjects.Node("n1"));
        var gated = TestObjects.Pod("gated", cpu: "100m");
        gated.Spec.SchedulingGates = [new V1PodSchedulingGate { Name = "example.com/wait" }];
        await cluster.CreatePodAsync(gated);
        await cluster.CreatePodAsync(TestObjects.Pod("free", cpu: "100m"));

        // The ungated pod, created after the gated one, is bound; the gated one is not, and has no PodScheduled condition.
        await SchedulerCluster.WaitForAsync(async () => !string.IsNullOrEmpty((await cluster.Client.GetAsync<V1Pod>("free", "default")).Spec.NodeName), "the ungated pod bound");
        var current = await cluster.Client.GetAsync<V1Pod>("gated", "default");
        Assert.IsTrue(string.IsNullOrEmpty(current.Spec.NodeName));
        Assert.IsFalse(current.Status?.Conditions?.Any(c => c.Type == "PodScheduled") ?? false, "a gated pod is not attempted");

        current.Spec.SchedulingGates = null;
        await cluster.Client.UpdateAsync(current);
        await SchedulerCluster.WaitForAsync(async () => (await cluster.Client.GetAsync<V1Pod>("gated", "default")).Spec.NodeName == "n1", "the pod bound once its gate is removed");
    }
}
