using System.Text.Json;
using k8s;
using k8s.Models;
using Kube.Core.Client;
using Kube.Core.Resources;
using Kube.Node.Agent;

namespace Kube.Node.Tests.Agent;

/// <summary>
/// The agent's source-generated JSON (<see cref="NodeJson"/>) writes what KubernetesClient's reflection-free KubernetesJson writes,
/// reads it back, and carries an <see cref="HttpKubeClient"/> through the real API server.
/// </summary>
[TestClass]
public sealed class NodeJsonTests
{
    private static readonly DateTime Created = new(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);

    private static V1Pod RichPod() => new()
    {
        ApiVersion = "v1",
        Kind = "Pod",
        Metadata = new V1ObjectMeta
        {
            Name = "web", NamespaceProperty = "default", Uid = "u-1", CreationTimestamp = Created, DeletionGracePeriodSeconds = 30,
            Labels = new Dictionary<string, string> { ["app"] = "web" },
            OwnerReferences = [new V1OwnerReference { ApiVersion = "apps/v1", Kind = "ReplicaSet", Name = "web-1", Uid = "rs-1", Controller = true }],
        },
        Spec = new V1PodSpec
        {
            NodeName = "node-1",
            Containers =
            [
                new V1Container
                {
                    Name = "c", Image = "busybox", Command = ["sh", "-c", "sleep 1000"],
                    Ports = [new V1ContainerPort { Name = "http", ContainerPort = 8080 }],
                    Resources = new V1ResourceRequirements
                    {
                        Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("500m"), ["memory"] = new("64Mi") },
                    },
                    ReadinessProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Port = "http", Path = "/" }, PeriodSeconds = 1 },
                    LivenessProbe = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = 8080 } },
                },
            ],
            Tolerations = [new V1Toleration { Key = "k", OperatorProperty = "Exists", Effect = "NoExecute", TolerationSeconds = 300 }],
            Volumes = [new V1Volume { Name = "v", EmptyDir = new V1EmptyDirVolumeSource { Medium = "Memory", SizeLimit = new ResourceQuantity("1Gi") } }],
        },
        Status = new V1PodStatus
        {
            Phase = "Running", PodIP = "127.1.0.2", StartTime = Created.AddSeconds(1),
            Conditions = [new V1PodCondition { Type = "Ready", Status = "True", LastTransitionTime = Created.AddSeconds(2) }],
            ContainerStatuses =
            [
                new V1ContainerStatus
                {
                    Name = "c", Ready = true, RestartCount = 2, Image = "busybox", ImageID = "", ContainerID = "process://c-2",
                    State = new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = Created.AddMilliseconds(1500) } },
                    LastState = new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = 137, Reason = "Error", FinishedAt = Created } },
                },
            ],
        },
    };

    [TestMethod]
    public void Pod_SerializesAsKubernetesJson_AndReadsBack()
    {
        var pod = RichPod();
        var json = NodeJson.Serialize(pod);

        Assert.AreEqual(KubernetesJson.Serialize(pod), json);
        StringAssert.Contains(json, "\"creationTimestamp\":\"2026-01-02T03:04:05Z\"");
        StringAssert.Contains(json, "\"port\":\"http\"");
        StringAssert.Contains(json, "\"port\":8080");
        StringAssert.Contains(json, "\"cpu\":\"500m\"");
        Assert.IsFalse(json.Contains("null", StringComparison.Ordinal), json);

        var back = NodeJson.Deserialize<V1Pod>(json);
        Assert.AreEqual(json, KubernetesJson.Serialize(back));
        Assert.AreEqual(Created, back.Metadata.CreationTimestamp);
        Assert.AreEqual("64Mi", back.Spec.Containers[0].Resources.Requests["memory"].ToString());
    }

    [TestMethod]
    public void NodeAndLease_SerializeAsKubernetesJson()
    {
        var node = new V1Node
        {
            ApiVersion = "v1", Kind = "Node", Metadata = new V1ObjectMeta { Name = "node-1" },
            Spec = new V1NodeSpec { Taints = [new V1Taint { Key = "k", Effect = "NoSchedule", TimeAdded = Created }] },
            Status = new V1NodeStatus
            {
                Capacity = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("2"), ["memory"] = new("4041312Ki"), ["pods"] = new("110") },
                Conditions = [new V1NodeCondition { Type = "Ready", Status = "True", LastHeartbeatTime = Created, LastTransitionTime = Created }],
            },
        };
        var lease = new V1Lease
        {
            ApiVersion = "coordination.k8s.io/v1", Kind = "Lease", Metadata = new V1ObjectMeta { Name = "node-1", NamespaceProperty = "kube-node-lease" },
            Spec = new V1LeaseSpec { HolderIdentity = "node-1", LeaseDurationSeconds = 40, RenewTime = Created.AddTicks(1234560) },
        };

        Assert.AreEqual(KubernetesJson.Serialize(node), NodeJson.Serialize(node));
        Assert.AreEqual(KubernetesJson.Serialize(lease), NodeJson.Serialize(lease));
        Assert.AreEqual(lease.Spec.RenewTime, NodeJson.Clone(lease).Spec.RenewTime);
    }

    [TestMethod]
    public void StringMaps_AreWrittenAsTheyAre()
    {
        var map = new Dictionary<string, string> { ["Upper-Key"] = "v", ["b"] = "" };

        Assert.AreEqual(JsonSerializer.Serialize(map), NodeJson.Serialize(map));
        CollectionAssert.AreEquivalent(map, NodeJson.Deserialize<Dictionary<string, string>>(NodeJson.Serialize(map)));
    }

    [TestMethod]
    public async Task HttpKubeClient_WithNodeJsonOptions_CreatesReadsWatchesAndUpdatesThroughTheApiServer()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var client = new HttpKubeClient(http, cluster.Server.BaseAddress, ResourceTypeRegistry.CreateDefault(),
            new HttpKubeClientOptions { SerializerOptions = NodeJson.Options });
        var pod = RichPod();
        pod.Metadata.Uid = null;
        pod.Metadata.OwnerReferences = null;
        pod.Metadata.CreationTimestamp = null;
        pod.Status = null;

        var created = await client.CreateAsync(pod);
        Assert.AreEqual("500m", created.Spec.Containers[0].Resources.Requests["cpu"].ToString());
        Assert.AreEqual("http", created.Spec.Containers[0].ReadinessProbe.HttpGet.Port.Value);
        Assert.IsNotNull(created.Metadata.CreationTimestamp);

        var list = await client.ListAsync<V1Pod>("default");
        var watch = client.WatchAsync<V1Pod>("default", new ListOptions { ResourceVersion = list.ResourceVersion }).GetAsyncEnumerator();
        try
        {
            created.Status = new V1PodStatus { Phase = "Running", PodIP = "127.1.0.9", StartTime = Created };
            await client.UpdateStatusAsync(created);
            Assert.IsTrue(await watch.MoveNextAsync());
            Assert.AreEqual(Kube.Core.Client.WatchEventType.Modified, watch.Current.Type);
            Assert.AreEqual("127.1.0.9", watch.Current.Object!.Status.PodIP);
            Assert.AreEqual(Created, watch.Current.Object.Status.StartTime);
        }
        finally
        {
            await watch.DisposeAsync();
        }

        var missing = await Assert.ThrowsAsync<KubeApiException>(() => client.GetAsync<V1Pod>("nope", "default"));
        Assert.AreEqual("NotFound", missing.Status.Reason);

        // a type the agent's context does not know is refused before anything is sent
        await Assert.ThrowsExactlyAsync<NotSupportedException>(() => client.CreateAsync(new V1Deployment
        {
            Metadata = new V1ObjectMeta { Name = "rc", NamespaceProperty = "default" },
        }));
    }
}
