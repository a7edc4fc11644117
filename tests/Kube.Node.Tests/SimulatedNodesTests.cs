using k8s.Models;
using Kube.Core.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kube.Node.Tests;

/// <summary>Many agents with the simulated runtime in one host: Nodes register and pods run without any process.</summary>
[TestClass]
public sealed class SimulatedNodesTests
{
    [TestMethod]
    public async Task TenSimulatedNodes_RegisterReady_AndRunTheirPodsVirtually()
    {
        const int nodes = 10;
        var dir = TempDirs.Create("kube-node-sim");
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = dir });
        builder.Logging.ClearProviders();
        builder.Services.AddKubeStore(o => o.DataDir = Path.Combine(dir, "store"));
        builder.Services.AddKubeApiServer(o => o.Port = 0);
        builder.Services.AddKubeCore();
        for (var i = 1; i <= nodes; i++)
        {
            var name = $"sim-{i}";
            builder.Services.AddKubeNodeAgent(o => { o.NodeName = name; o.Runtime = "simulated"; o.DataDir = Path.Combine(dir, name); });
        }

        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var client = host.Services.GetRequiredService<IKubeClient>();
            for (var i = 1; i <= nodes; i++)
            {
                await client.CreateAsync(new V1Pod
                {
                    ApiVersion = "v1", Kind = "Pod",
                    Metadata = new V1ObjectMeta { Name = $"p-{i}", NamespaceProperty = "default" },
                    Spec = new V1PodSpec { NodeName = $"sim-{i}", Containers = [new V1Container { Name = "c", Image = "nginx" }] },
                });
            }

            Assert.IsTrue(await Wait.PollAsync(async () =>
            {
                var pods = await client.ListAsync<V1Pod>("default");
                return pods.Items.Count == nodes && pods.Items.All(p => p.Status?.Phase == "Running" && p.Status.ContainerStatuses?.Single().Ready == true);
            }, TimeSpan.FromSeconds(30)), "every pod runs on its simulated node");

            var all = (await client.ListAsync<V1Pod>("default")).Items;
            for (var i = 1; i <= nodes; i++)
            {
                Assert.AreEqual($"127.1.{i}.2", all.Single(p => p.Metadata.Name == $"p-{i}").Status.PodIP, "each node allocates from its own pod CIDR");
            }

            var nodeList = await client.ListAsync<V1Node>();
            Assert.AreEqual(nodes, nodeList.Items.Count(n => n.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true));
            Assert.IsTrue(nodeList.Items.All(n => n.Status.NodeInfo.ContainerRuntimeVersion == "simulated://0.1"));
        }
        finally
        {
            await host.StopAsync();
            Directory.Delete(dir, recursive: true);
        }
    }
}
