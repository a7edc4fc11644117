using k8s;
using k8s.Models;
using Kube.Core.Client;
using Kube.Core.Informers;
using Kube.Node.Agent;
using Kube.Node.Runtime.Process;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kube.Node.Tests.Agent;

/// <summary>Static pods from a manifest directory: run by the agent, mirrored into the API, re-mirrored, stopped with their manifest.</summary>
[TestClass]
public sealed class StaticPodTests
{
    private static string Manifest(string name, string marker) => $"""
        apiVersion: v1
        kind: Pod
        metadata:
          name: {name}
          labels:
            tier: static
        spec:
          containers:
          - name: main
            image: busybox
            command: ["sleep", "{marker}"]
        """;

    [TestMethod]
    public async Task StaticPod_RunsWithMirrorPod_MirrorRecreatedAfterDelete_StopsWhenManifestRemoved()
    {
        var manifests = TempDirs.Create("kube-static");
        await using var h = await AgentHarness.StartAsync(o =>
        {
            o.StaticPodPath = manifests;
            o.FileCheckFrequency = TimeSpan.FromMilliseconds(200);
        });
        var marker = h.Marker(3733);
        await File.WriteAllTextAsync(Path.Combine(manifests, "web.yaml"), Manifest("web", marker));

        var mirror = await h.WaitPodAsync("web-node-1", p => p.Status?.Phase == "Running" && p.Status.ContainerStatuses?.FirstOrDefault()?.State?.Running is not null, "ran as a mirror pod");
        var annotations = mirror.Metadata.Annotations;
        Assert.AreEqual("file", annotations["kubernetes.io/config.source"]);
        Assert.AreEqual(annotations["kubernetes.io/config.hash"], annotations["kubernetes.io/config.mirror"]);
        Assert.AreNotEqual(mirror.Metadata.Uid, annotations["kubernetes.io/config.mirror"], "the mirror pod has its own UID; the annotation names the static pod's");
        var owner = mirror.Metadata.OwnerReferences.Single();
        Assert.AreEqual(("v1", "Node", "node-1", true), (owner.ApiVersion, owner.Kind, owner.Name, owner.Controller ?? false));
        Assert.AreEqual((await h.Client.GetAsync<V1Node>("node-1")).Metadata.Uid, owner.Uid);
        Assert.AreEqual("node-1", mirror.Spec.NodeName);
        Assert.AreEqual("static", mirror.Metadata.Labels["tier"]);
        var pids = ProcessTable.Find("sleep " + marker);
        Assert.AreEqual(1, pids.Count, "one process runs the static pod");

        // Deleting the mirror pod (gracefully, as kubectl does) does not touch the static pod: a new mirror pod appears.
        await h.Client.DeleteAsync<V1Pod>("web-node-1", "default");
        var second = await h.WaitPodAsync("web-node-1", p => p.Metadata.Uid != mirror.Metadata.Uid && p.Metadata.DeletionTimestamp is null && p.Status?.Phase == "Running", "was re-created");
        Assert.AreEqual(annotations["kubernetes.io/config.mirror"], second.Metadata.Annotations["kubernetes.io/config.mirror"]);
        CollectionAssert.AreEqual(pids, ProcessTable.Find("sleep " + marker), "the static pod's process kept running");

        // Removing the manifest stops the pod and deletes its mirror.
        File.Delete(Path.Combine(manifests, "web.yaml"));
        Assert.IsTrue(await Wait.PollAsync(() => ProcessTable.Find("sleep " + marker).Count == 0, AgentHarness.Deadline), "the static pod's process was not stopped");
        Assert.IsTrue(await Wait.PollAsync(async () =>
        {
            try
            {
                await h.Client.GetAsync<V1Pod>("web-node-1", "default");
                return false;
            }
            catch (NotFoundException)
            {
                return true;
            }
        }, AgentHarness.Deadline), "the mirror pod was not deleted");
        Directory.Delete(manifests, recursive: true);
    }

    [TestMethod]
    public async Task StaticPod_RunsWhileTheApiServerIsUnreachable()
    {
        var dir = TempDirs.Create("kube-static-noapi");
        var manifests = Path.Combine(dir, "manifests");
        Directory.CreateDirectory(manifests);
        var marker = TestUtil.UniqueSeconds(3734);
        await File.WriteAllTextAsync(Path.Combine(manifests, "solo.json"), KubernetesJson.Serialize(new V1Pod
        {
            ApiVersion = "v1", Kind = "Pod",
            Metadata = new V1ObjectMeta { Name = "solo", NamespaceProperty = "kube-system" },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "main", Image = "busybox", Command = ["sleep", marker] }] },
        }));

        // Nothing listens on this port: every API call fails.
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var deadPort = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var client = HttpKubeClient.FromConfig(new KubernetesClientConfiguration { Host = $"http://127.0.0.1:{deadPort}" });
        var factory = new SharedInformerFactory(client);
        var options = new NodeAgentOptions
        {
            NodeName = "lonely",
            DataDir = Path.Combine(dir, "node"),
            NodeIndex = 7,
            StaticPodPath = manifests,
            RelistInterval = TimeSpan.FromMilliseconds(200),
            ShutdownGracePeriod = TimeSpan.FromSeconds(2),
        };
        var runtime = new ProcessRuntime(new ProcessRuntimeOptions { DataDir = Path.Combine(dir, "node", "runtime"), PodCidr = "127.1.7.0/24" },
            TimeProvider.System, NullLogger<ProcessRuntime>.Instance);
        var agent = new NodeAgent(options, client, factory, runtime, TimeProvider.System, NullLoggerFactory.Instance);
        using var cts = new CancellationTokenSource();
        try
        {
            factory.Start(cts.Token);
            await agent.StartAsync(CancellationToken.None);
            Assert.IsTrue(await Wait.PollAsync(() => ProcessTable.Find("sleep " + marker).Count == 1, AgentHarness.Deadline), "the static pod did not start without the API server");
            var sandbox = (await runtime.ListPodSandboxesAsync(CancellationToken.None)).Single();
            Assert.AreEqual(("solo-lonely", "kube-system"), (sandbox.PodName, sandbox.PodNamespace));
        }
        finally
        {
            await agent.StopAsync(CancellationToken.None);
            await agent.DisposeAsync();
            await cts.CancelAsync();
            ProcessTable.KillAll(marker);
            Mounts.UnmountUnder(dir);
            Directory.Delete(dir, recursive: true);
        }

        Assert.AreEqual(0, ProcessTable.Find("sleep " + marker).Count, "stopping the agent stops the static pod");
    }
}
