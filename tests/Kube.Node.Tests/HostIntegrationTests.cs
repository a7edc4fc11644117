using k8s.Models;
using Kube.Core.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kube.Node.Tests;

/// <summary>
/// The node agent and networking in a generic host with the store, API server and Core registered the way
/// kube-host does: pods run, EndpointSlices appear, a clean stop leaves no process, a restart brings pods back.
/// </summary>
[TestClass]
public sealed class HostIntegrationTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static IHost BuildHost(string dir)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = dir });
        builder.Logging.ClearProviders();
        builder.Services.AddKubeStore(o => o.DataDir = Path.Combine(dir, "store"));
        builder.Services.AddKubeApiServer(o => o.Port = 0);
        builder.Services.AddKubeCore();
        builder.Services.AddKubeNetworking();
        builder.Services.AddKubeNodeAgent(o =>
        {
            o.NodeName = "node-1";
            o.DataDir = Path.Combine(dir, "nodes", "node-1");
            o.PodCidr = "127.1.1.0/24";
            o.ShutdownGracePeriod = TimeSpan.FromSeconds(3);
        });
        return builder.Build();
    }

    [TestMethod]
    public async Task Host_RunsPods_PublishesEndpoints_StopsCleanly_AndBringsPodsBackOnRestart()
    {
        var dir = TempDirs.Create("kube-node-host");
        var marker = TestUtil.UniqueSeconds(3640);
        try
        {
            using (var host = BuildHost(dir))
            {
                await host.StartAsync();
                var client = host.Services.GetRequiredService<IKubeClient>();
                await client.CreateAsync(new V1Service
                {
                    ApiVersion = "v1", Kind = "Service",
                    Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = "default" },
                    Spec = new V1ServiceSpec { Selector = new Dictionary<string, string> { ["app"] = "web" }, Ports = [new V1ServicePort { Port = 80 }] },
                });
                await client.CreateAsync(new V1Pod
                {
                    ApiVersion = "v1", Kind = "Pod",
                    Metadata = new V1ObjectMeta { Name = "web-1", NamespaceProperty = "default", Labels = new Dictionary<string, string> { ["app"] = "web" } },
                    Spec = new V1PodSpec { NodeName = "node-1", Containers = [new V1Container { Name = "main", Image = "busybox", Command = ["sleep", marker] }] },
                });

                Assert.IsTrue(await Wait.PollAsync(async () => (await client.GetAsync<V1Pod>("web-1", "default")).Status?.Phase == "Running", Deadline), "the pod runs");
                Assert.AreEqual(1, ProcessTable.Find("sleep " + marker).Count);
                var node = await client.GetAsync<V1Node>("node-1");
                Assert.AreEqual("True", node.Status.Conditions.Single(c => c.Type == "Ready").Status);
                var svc = await client.GetAsync<V1Service>("web", "default");
                StringAssert.StartsWith(svc.Spec.ClusterIP, "127.10.");
                Assert.IsTrue(await Wait.PollAsync(async () =>
                {
                    var slices = await client.ListAsync<V1EndpointSlice>("default", new ListOptions { LabelSelector = "kubernetes.io/service-name=web" });
                    return slices.Items.Any(s => s.Endpoints?.Any(e => e.Conditions.Ready == true && e.TargetRef.Name == "web-1") == true);
                }, Deadline), "a ready endpoint for the pod is published");

                await host.StopAsync();
                Assert.AreEqual(0, ProcessTable.Find(marker).Count, "a clean stop leaves no pod process");
            }

            using (var host = BuildHost(dir))
            {
                await host.StartAsync();
                var client = host.Services.GetRequiredService<IKubeClient>();
                Assert.IsTrue(await Wait.PollAsync(() => ProcessTable.Find("sleep " + marker).Count == 1, Deadline), "the pod's process is back");
                Assert.IsTrue(await Wait.PollAsync(async () =>
                {
                    var pod = await client.GetAsync<V1Pod>("web-1", "default");
                    return pod.Status?.Phase == "Running" && pod.Status.ContainerStatuses?.Single().Ready == true && pod.Status.ContainerStatuses.Single().RestartCount >= 1;
                }, Deadline), "the pod reports Running again");
                await host.StopAsync();
            }

            Assert.AreEqual(0, ProcessTable.Find(marker).Count);
        }
        finally
        {
            ProcessTable.KillAll(marker);
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
