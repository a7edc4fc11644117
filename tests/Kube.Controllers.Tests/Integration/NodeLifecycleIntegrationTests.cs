using k8s.Models;
using Kube.Core.Client;
using Microsoft.Extensions.Time.Testing;

namespace Kube.Controllers.Tests.Integration;

[TestClass]
public sealed class NodeLifecycleIntegrationTests
{
    /// <summary>Plays a kubelet: posts Ready with a heartbeat and renews the node's Lease at the controllers' time.</summary>
    private static async Task HeartbeatAsync(ControllerCluster cluster, string node, DateTimeOffset now)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var n = await cluster.Client.GetAsync<V1Node>(node);
            n.Status ??= new V1NodeStatus();
            n.Status.Conditions = [new V1NodeCondition { Type = "Ready", Status = "True", Reason = "KubeletReady", LastHeartbeatTime = now.UtcDateTime, LastTransitionTime = now.UtcDateTime }];
            try
            {
                await cluster.Client.UpdateStatusAsync(n);
                break;
            }
            catch (ConflictException)
            {
            }
        }

        try
        {
            await cluster.ModifyAsync<V1Lease>(node, "kube-node-lease", l => l.Spec.RenewTime = now.UtcDateTime);
        }
        catch (NotFoundException)
        {
            await cluster.Client.CreateAsync(new V1Lease
            {
                ApiVersion = "coordination.k8s.io/v1", Kind = "Lease",
                Metadata = new V1ObjectMeta { Name = node, NamespaceProperty = "kube-node-lease" },
                Spec = new V1LeaseSpec { HolderIdentity = node, LeaseDurationSeconds = 40, RenewTime = now.UtcDateTime },
            });
        }
    }

    private static V1Pod PodOn(string name, string node, params V1Toleration[] tolerations) => new()
    {
        ApiVersion = "v1",
        Kind = "Pod",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", Labels = new Dictionary<string, string> { ["app"] = "lifecycle" } },
        Spec = new V1PodSpec { NodeName = node, Tolerations = tolerations.Length == 0 ? null : tolerations.ToList(), Containers = [new V1Container { Name = "main", Image = "busybox:1" }] },
    };

    private static async Task<bool> GoneOrDeletingAsync(IKubeClient client, string pod)
    {
        try
        {
            return (await client.GetAsync<V1Pod>(pod, "default")).Metadata.DeletionTimestamp is not null;
        }
        catch (NotFoundException)
        {
            return true;
        }
    }

    [TestMethod]
    [Timeout(90_000, CooperativeCancellation = true)]
    public async Task SilentNode_IsMarkedUnknown_Tainted_ItsPodsNotReady_AndEvictedByTolerationSeconds()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var cluster = await ControllerCluster.StartAsync(time: clock);
        var client = cluster.Client;
        try
        {
            await client.CreateAsync(new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new V1ObjectMeta { Name = "kube-node-lease" } });
        }
        catch (AlreadyExistsException)
        {
            // The API server creates it.
        }

        foreach (var n in new[] { "alive", "silent" })
        {
            await client.CreateAsync(new V1Node { ApiVersion = "v1", Kind = "Node", Metadata = new V1ObjectMeta { Name = n } });
            await HeartbeatAsync(cluster, n, clock.GetUtcNow());
        }

        await client.CreateAsync(PodOn("intolerant", "silent"));
        await client.CreateAsync(PodOn("tolerates-300", "silent",
            new V1Toleration { Key = "node.kubernetes.io/unreachable", OperatorProperty = "Exists", Effect = "NoExecute", TolerationSeconds = 300 }));
        await client.CreateAsync(PodOn("tolerates-forever", "silent",
            new V1Toleration { Key = "node.kubernetes.io/unreachable", OperatorProperty = "Exists", Effect = "NoExecute" }));
        await cluster.MarkPodsReadyAsync("app=lifecycle");

        // "alive" keeps beating; "silent" stops. Past the 50 s grace period "silent" goes Unknown and is tainted.
        await ControllerCluster.WaitForAsync(async () =>
        {
            var node = await client.GetAsync<V1Node>("silent");
            if (node.Status.Conditions.Single(c => c.Type == "Ready").Status == "Unknown" && node.Spec.Taints?.Count == 2) return true;
            clock.Advance(TimeSpan.FromSeconds(5));
            await HeartbeatAsync(cluster, "alive", clock.GetUtcNow());
            return false;
        }, "silent Unknown and tainted");
        var silent = await client.GetAsync<V1Node>("silent");
        var ready = silent.Status.Conditions.Single(c => c.Type == "Ready");
        Assert.AreEqual("NodeStatusUnknown", ready.Reason);
        Assert.AreEqual("Kubelet stopped posting node status.", ready.Message);
        CollectionAssert.AreEquivalent(new[] { "node.kubernetes.io/unreachable:NoSchedule", "node.kubernetes.io/unreachable:NoExecute" },
            silent.Spec.Taints.Select(t => $"{t.Key}:{t.Effect}").ToList());
        Assert.IsNotNull(silent.Spec.Taints.Single(t => t.Effect == "NoExecute").TimeAdded);
        var alive = await client.GetAsync<V1Node>("alive");
        Assert.IsTrue(alive.Spec.Taints is null or { Count: 0 }, "the beating node stays untainted");

        await ControllerCluster.WaitForAsync(() => GoneOrDeletingAsync(client, "intolerant"), "the intolerant pod evicted at once");
        await ControllerCluster.WaitForAsync(async () =>
            (await client.GetAsync<V1Pod>("tolerates-300", "default")).Status.Conditions.Single(c => c.Type == "Ready").Status == "False",
            "pods on the node marked not Ready");
        Assert.IsFalse(await GoneOrDeletingAsync(client, "tolerates-300"), "tolerationSeconds 300 has not passed");

        await ControllerCluster.WaitForAsync(async () =>
        {
            if (await GoneOrDeletingAsync(client, "tolerates-300")) return true;
            clock.Advance(TimeSpan.FromSeconds(20));
            await HeartbeatAsync(cluster, "alive", clock.GetUtcNow());
            return false;
        }, "the pod tolerating 300 s evicted after them");
        Assert.IsFalse(await GoneOrDeletingAsync(client, "tolerates-forever"), "a toleration without tolerationSeconds keeps the pod");

        // The kubelet comes back: the taints go.
        await HeartbeatAsync(cluster, "silent", clock.GetUtcNow());
        await ControllerCluster.WaitForAsync(async () => (await client.GetAsync<V1Node>("silent")).Spec.Taints is null or { Count: 0 }, "taints removed");
    }

    [TestMethod]
    public void EvictionTime_FollowsTolerations()
    {
        var added = new DateTime(2026, 11, 22, 10, 0, 0, DateTimeKind.Utc);
        var taint = new V1Taint { Key = "node.kubernetes.io/not-ready", Effect = "NoExecute", TimeAdded = added };
        V1Pod Pod(params V1Toleration[] t) => new() { Metadata = new V1ObjectMeta(), Spec = new V1PodSpec { Tolerations = t.ToList() } };
        Assert.AreEqual(DateTimeOffset.MinValue, Kube.Controllers.BuiltIn.NodeLifecycle.TaintEvictionReconciler.EvictionTime(Pod(), [taint]));
        Assert.IsNull(Kube.Controllers.BuiltIn.NodeLifecycle.TaintEvictionReconciler.EvictionTime(
            Pod(new V1Toleration { OperatorProperty = "Exists" }), [taint]));
        Assert.AreEqual(new DateTimeOffset(added).AddSeconds(30), Kube.Controllers.BuiltIn.NodeLifecycle.TaintEvictionReconciler.EvictionTime(
            Pod(new V1Toleration { Key = taint.Key, OperatorProperty = "Exists", Effect = "NoExecute", TolerationSeconds = 300 },
                new V1Toleration { Key = taint.Key, OperatorProperty = "Exists", TolerationSeconds = 30 }), [taint]));
    }
}
