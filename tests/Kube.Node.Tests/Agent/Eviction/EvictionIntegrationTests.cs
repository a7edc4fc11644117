using k8s.Models;

namespace Kube.Node.Tests.Agent.Eviction;

/// <summary>The eviction manager in a running agent, with a threshold the machine always meets.</summary>
[TestClass]
public sealed class EvictionIntegrationTests
{
    [TestMethod]
    public async Task MetHardThreshold_EvictsThePod_WithUpstreamsStatus_AndReportsMemoryPressure()
    {
        await using var h = await AgentHarness.StartAsync(o =>
        {
            // No machine has 1000Ti available: memory pressure from the first round.
            o.EvictionHard.Clear();
            o.EvictionHard["memory.available"] = "1000Ti";
            o.EvictionMonitoringInterval = TimeSpan.FromMilliseconds(300);
            o.EvictionPressureTransitionPeriod = TimeSpan.FromSeconds(1);
        });
        var marker = h.Marker(3755);
        await h.Client.CreateAsync(new V1Pod
        {
            ApiVersion = "v1", Kind = "Pod",
            Metadata = new V1ObjectMeta { Name = "hog", NamespaceProperty = "default" },
            Spec = new V1PodSpec
            {
                NodeName = "node-1",
                Containers = [new V1Container { Name = "main", Image = "busybox", Command = ["sleep", marker] }],
            },
        });

        var evicted = await h.WaitPodAsync("hog", p => p.Status?.Reason == "Evicted", "was evicted");
        Assert.AreEqual("Failed", evicted.Status.Phase);
        StringAssert.StartsWith(evicted.Status.Message, "The node was low on resource: memory. Threshold quantity: 1000Ti, available: ");
        var disruption = evicted.Status.Conditions.Single(c => c.Type == "DisruptionTarget");
        Assert.AreEqual(("True", "TerminationByKubelet", evicted.Status.Message), (disruption.Status, disruption.Reason, disruption.Message));
        Assert.IsTrue(await Wait.PollAsync(() => ProcessTable.Find("sleep " + marker).Count == 0, AgentHarness.Deadline), "the evicted pod's process still runs");

        V1Node? node = null;
        Assert.IsTrue(await Wait.PollAsync(async () =>
        {
            node = await h.Client.GetAsync<V1Node>("node-1");
            return node.Status?.Conditions?.Any(c => c.Type == "MemoryPressure" && c.Status == "True" && c.Reason == "KubeletHasInsufficientMemory") == true
                && node.Spec?.Taints?.Any(t => t.Key == "node.kubernetes.io/memory-pressure" && t.Effect == "NoSchedule") == true;
        }, AgentHarness.Deadline), $"no MemoryPressure condition and taint: {k8s.KubernetesJson.Serialize(node)}");

        // Several rounds later the evicted pod is still Failed: it is not restarted.
        Assert.AreEqual(0, ProcessTable.Find("sleep " + marker).Count);
        Assert.AreEqual("Failed", (await h.Client.GetAsync<V1Pod>("hog", "default")).Status.Phase);
    }
}
