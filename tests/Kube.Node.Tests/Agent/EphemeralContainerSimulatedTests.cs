using k8s.Models;
using Kube.Core.Client;
using Kube.Core.Informers;
using Kube.Node.Agent;
using Kube.Node.Runtime.Simulated;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kube.Node.Tests.Agent;

/// <summary>The simulated runtime runs ephemeral containers as it runs the others: no process, but a running status the API shows.</summary>
[TestClass]
public sealed class EphemeralContainerSimulatedTests
{
    [TestMethod]
    public async Task EphemeralContainer_OnASimulatedNode_ShowsRunning_InEphemeralContainerStatuses()
    {
        var dir = Directory.CreateTempSubdirectory("kube-node-eph-sim-").FullName;
        await using var cluster = await TestCluster.StartAsync();
        using var stop = new CancellationTokenSource();
        var factory = new SharedInformerFactory(cluster.Client);
        var options = new NodeAgentOptions { NodeName = "sim-1", DataDir = Path.Combine(dir, "sim-1"), NodeIndex = 1, Runtime = "simulated" };
        var agent = new NodeAgent(options, cluster.Client, factory, new SimulatedRuntime("127.1.9.0/24"), TimeProvider.System, NullLoggerFactory.Instance);
        factory.Start(stop.Token);
        await agent.StartAsync(CancellationToken.None);
        try
        {
            await cluster.Client.CreateAsync(new V1Pod
            {
                ApiVersion = "v1", Kind = "Pod",
                Metadata = new V1ObjectMeta { Name = "sim", NamespaceProperty = "default" },
                Spec = new V1PodSpec { NodeName = "sim-1", Containers = [new V1Container { Name = "c", Image = "nginx" }] },
            });
            Assert.IsTrue(await TestUtil.PollAsync(async () => (await cluster.Client.GetAsync<V1Pod>("sim", "default")).Status?.Phase == "Running",
                AgentHarness.Deadline), "the pod runs");

            await cluster.Client.PatchAsync<V1Pod>("sim", "default", new KubePatch(KubePatchType.StrategicMerge,
                "{\"spec\":{\"ephemeralContainers\":[{\"name\":\"debugger\",\"image\":\"busybox\",\"targetContainerName\":\"c\"}]}}"), "ephemeralcontainers");
            V1Pod pod = null!;
            Assert.IsTrue(await TestUtil.PollAsync(async () =>
            {
                pod = await cluster.Client.GetAsync<V1Pod>("sim", "default");
                return pod.Status?.EphemeralContainerStatuses?.SingleOrDefault()?.State?.Running is not null;
            }, AgentHarness.Deadline), "the ephemeral container shows running");
            var debugger = pod.Status.EphemeralContainerStatuses.Single();
            Assert.AreEqual("debugger", debugger.Name);
            StringAssert.StartsWith(debugger.ContainerID, "simulated://");
            Assert.IsFalse(debugger.Ready);
            Assert.AreEqual("c", pod.Status.ContainerStatuses.Single().Name);
        }
        finally
        {
            await agent.StopAsync(CancellationToken.None);
            await agent.DisposeAsync();
            await stop.CancelAsync();
            await factory.WhenStoppedAsync().WaitAsync(AgentHarness.Deadline);
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
