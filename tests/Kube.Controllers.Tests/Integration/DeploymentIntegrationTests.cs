using k8s.Models;
using Kube.Controllers.BuiltIn.Deployment;
using Kube.Core.Client;

namespace Kube.Controllers.Tests.Integration;

[TestClass]
public sealed class DeploymentIntegrationTests
{
    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public async Task Deployment_CreatesReplicaSetAndPods_RollsOutWithinLimits_AndIsCollectedOnDelete()
    {
        await using var cluster = await ControllerCluster.StartAsync();
        var client = cluster.Client;
        await client.CreateAsync(Workloads.Deployment("web", 3, "nginx:1", maxSurge: "1", maxUnavailable: "0"));

        // Deployment -> one ReplicaSet named web-<hash> -> 3 pods named web-<hash>-xxxxx, all controlled by their owner.
        await ControllerCluster.WaitForAsync(async () => (await cluster.PodsAsync("app=web")).Count(Workloads.IsActive) == 3, "3 pods");
        var rs1 = (await cluster.ReplicaSetsAsync("app=web")).Single();
        var hash1 = rs1.Metadata.Labels[PodTemplateHash.Label];
        Assert.AreEqual($"web-{hash1}", rs1.Metadata.Name);
        Assert.AreEqual("1", rs1.Metadata.Annotations[DeploymentReconciler.RevisionAnnotation]);
        var owner = rs1.Metadata.OwnerReferences.Single();
        Assert.IsTrue(owner.Controller == true && owner.BlockOwnerDeletion == true && owner.Kind == "Deployment" && owner.Name == "web");
        foreach (var pod in await cluster.PodsAsync("app=web"))
        {
            StringAssert.StartsWith(pod.Metadata.Name, rs1.Metadata.Name + "-");
            Assert.AreEqual(hash1, pod.Metadata.Labels[PodTemplateHash.Label]);
            Assert.AreEqual(rs1.Metadata.Uid, pod.Metadata.OwnerReferences.Single(r => r.Controller == true).Uid);
        }

        // The simulated kubelet makes them ready; the status converges as `kubectl rollout status` requires.
        await ControllerCluster.WaitForAsync(async () =>
        {
            await cluster.MarkPodsReadyAsync("app=web");
            return RolloutComplete(await client.GetAsync<V1Deployment>("web", "default"), 3);
        }, "the first rollout to complete");
        var d = await client.GetAsync<V1Deployment>("web", "default");
        Assert.AreEqual("NewReplicaSetAvailable", d.Status.Conditions.Single(c => c.Type == "Progressing").Reason);
        Assert.AreEqual("True", d.Status.Conditions.Single(c => c.Type == "Available").Status);
        Assert.AreEqual("1", d.Metadata.Annotations[DeploymentReconciler.RevisionAnnotation]);

        // Change the image: a second ReplicaSet takes over, never more than replicas + maxSurge pods, never fewer than
        // replicas - maxUnavailable ready ones.
        await ModifyAsync(client, d.Metadata.Name, x => x.Spec.Template.Spec.Containers[0].Image = "nginx:2");
        var maxActive = 0;
        var minReady = int.MaxValue;
        await ControllerCluster.WaitForAsync(async () =>
        {
            var pods = (await cluster.PodsAsync("app=web")).Where(Workloads.IsActive).ToList();
            maxActive = Math.Max(maxActive, pods.Count);
            minReady = Math.Min(minReady, pods.Count(p => p.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true));
            await cluster.MarkPodsReadyAsync("app=web");
            var current = await client.GetAsync<V1Deployment>("web", "default");
            return current.Metadata.Annotations[DeploymentReconciler.RevisionAnnotation] == "2" && RolloutComplete(current, 3);
        }, "the rolling update to complete", TimeSpan.FromSeconds(40));
        Assert.IsTrue(maxActive <= 4, $"at most replicas + maxSurge = 4 pods at once, saw {maxActive}");
        Assert.IsTrue(minReady >= 3, $"at least replicas - maxUnavailable = 3 ready pods at all times, saw {minReady}");

        var sets = await cluster.ReplicaSetsAsync("app=web");
        Assert.AreEqual(2, sets.Count);
        var rs2 = sets.Single(s => s.Metadata.Uid != rs1.Metadata.Uid);
        Assert.AreEqual(3, rs2.Spec.Replicas);
        Assert.AreEqual("2", rs2.Metadata.Annotations[DeploymentReconciler.RevisionAnnotation]);
        Assert.AreEqual(0, sets.Single(s => s.Metadata.Uid == rs1.Metadata.Uid).Spec.Replicas);
        Assert.IsTrue((await cluster.PodsAsync("app=web")).Where(Workloads.IsActive).All(p => p.Spec.Containers[0].Image == "nginx:2"));

        // Delete the Deployment (background propagation, as kubectl does): the collector removes the ReplicaSets and pods.
        await client.DeleteAsync<V1Deployment>("web", "default", new DeleteOptions { PropagationPolicy = PropagationPolicy.Background });
        await ControllerCluster.WaitForAsync(async () =>
            (await cluster.ReplicaSetsAsync("app=web")).Count == 0 && (await cluster.PodsAsync("app=web")).Count == 0,
            "the ReplicaSets and pods to be garbage-collected", TimeSpan.FromSeconds(15));
    }

    [TestMethod]
    [Timeout(90_000, CooperativeCancellation = true)]
    public async Task Recreate_ScalesOldDownBeforeTheNewOneComesUp()
    {
        await using var cluster = await ControllerCluster.StartAsync();
        var client = cluster.Client;
        await client.CreateAsync(Workloads.Deployment("batch", 2, "app:1", strategy: "Recreate"));
        await ControllerCluster.WaitForAsync(async () =>
        {
            await cluster.MarkPodsReadyAsync("app=batch");
            return RolloutComplete(await client.GetAsync<V1Deployment>("batch", "default"), 2);
        }, "the first rollout");

        await ModifyAsync(client, "batch", d => d.Spec.Template.Spec.Containers[0].Image = "app:2");
        var mixed = false;
        await ControllerCluster.WaitForAsync(async () =>
        {
            var images = (await cluster.PodsAsync("app=batch")).Where(Workloads.IsActive).Select(p => p.Spec.Containers[0].Image).Distinct().ToList();
            mixed |= images.Count > 1;
            await cluster.MarkPodsReadyAsync("app=batch");
            var current = await client.GetAsync<V1Deployment>("batch", "default");
            return current.Metadata.Annotations[DeploymentReconciler.RevisionAnnotation] == "2" && RolloutComplete(current, 2);
        }, "the recreate rollout", TimeSpan.FromSeconds(30));
        Assert.IsFalse(mixed, "old and new pods never run together under Recreate");
    }

    [TestMethod]
    [Timeout(90_000, CooperativeCancellation = true)]
    public async Task ScalingTheDeployment_ScalesItsReplicaSet()
    {
        await using var cluster = await ControllerCluster.StartAsync();
        var client = cluster.Client;
        await client.CreateAsync(Workloads.Deployment("scale", 1, "app:1"));
        await ControllerCluster.WaitForAsync(async () => (await cluster.PodsAsync("app=scale")).Count(Workloads.IsActive) == 1, "1 pod");
        await ScaleAsync(client, "scale", 4);
        await ControllerCluster.WaitForAsync(async () => (await cluster.PodsAsync("app=scale")).Count(Workloads.IsActive) == 4, "4 pods");
        await ScaleAsync(client, "scale", 2);
        await ControllerCluster.WaitForAsync(async () => (await cluster.PodsAsync("app=scale")).Count(Workloads.IsActive) == 2, "2 pods");
        Assert.AreEqual(1, (await cluster.ReplicaSetsAsync("app=scale")).Count, "scaling makes no new ReplicaSet");
    }

    [TestMethod]
    [Timeout(90_000, CooperativeCancellation = true)]
    public async Task GoingBackToAnEarlierTemplate_ReusesItsReplicaSet_WithANewRevision()
    {
        await using var cluster = await ControllerCluster.StartAsync();
        var client = cluster.Client;
        await client.CreateAsync(Workloads.Deployment("back", 2, "app:1"));
        async Task RollAsync(string image, string revision)
        {
            await ModifyAsync(client, "back", d => d.Spec.Template.Spec.Containers[0].Image = image);
            await ControllerCluster.WaitForAsync(async () =>
            {
                await cluster.MarkPodsReadyAsync("app=back");
                var current = await client.GetAsync<V1Deployment>("back", "default");
                return current.Metadata.Annotations?[DeploymentReconciler.RevisionAnnotation] == revision && RolloutComplete(current, 2)
                    && (await cluster.PodsAsync("app=back")).Where(Workloads.IsActive).All(p => p.Spec.Containers[0].Image == image);
            }, $"revision {revision} with {image}", TimeSpan.FromSeconds(30));
        }

        await RollAsync("app:1", "1");
        var first = (await cluster.ReplicaSetsAsync("app=back")).Single();
        await RollAsync("app:2", "2");
        await RollAsync("app:1", "3");
        var sets = await cluster.ReplicaSetsAsync("app=back");
        Assert.AreEqual(2, sets.Count, "no third ReplicaSet");
        var reused = sets.Single(s => s.Metadata.Uid == first.Metadata.Uid);
        Assert.AreEqual("3", reused.Metadata.Annotations[DeploymentReconciler.RevisionAnnotation]);
        Assert.AreEqual(2, reused.Spec.Replicas);
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task StuckRollout_ReportsProgressDeadlineExceeded()
    {
        await using var cluster = await ControllerCluster.StartAsync();
        var d = Workloads.Deployment("stuck", 2, "app:1");
        d.Spec.ProgressDeadlineSeconds = 1;
        await cluster.Client.CreateAsync(d);

        // No kubelet marks the pods ready: after a second without progress the rollout is reported as timed out.
        await ControllerCluster.WaitForAsync(async () =>
        {
            var c = (await cluster.Client.GetAsync<V1Deployment>("stuck", "default")).Status?.Conditions?.FirstOrDefault(c => c.Type == "Progressing");
            return c is { Status: "False", Reason: "ProgressDeadlineExceeded" };
        }, "ProgressDeadlineExceeded", TimeSpan.FromSeconds(15));

        // Progress (pods becoming ready) turns it back.
        await ControllerCluster.WaitForAsync(async () =>
        {
            await cluster.MarkPodsReadyAsync("app=stuck");
            var c = (await cluster.Client.GetAsync<V1Deployment>("stuck", "default")).Status?.Conditions?.FirstOrDefault(c => c.Type == "Progressing");
            return c is { Status: "True", Reason: "NewReplicaSetAvailable" };
        }, "the rollout to complete after all");
    }

    [TestMethod]
    [Timeout(90_000, CooperativeCancellation = true)]
    public async Task ScalingDuringARollout_ResizesBothReplicaSetsInProportion()
    {
        await using var cluster = await ControllerCluster.StartAsync();
        var client = cluster.Client;
        await client.CreateAsync(Workloads.Deployment("prop", 4, "app:1", maxSurge: "1", maxUnavailable: "0"));
        await ControllerCluster.WaitForAsync(async () =>
        {
            await cluster.MarkPodsReadyAsync("app=prop");
            return RolloutComplete(await client.GetAsync<V1Deployment>("prop", "default"), 4);
        }, "the first rollout");

        // Start a rollout whose new pods never get ready: it stalls at 4 old + 1 new.
        await ModifyAsync(client, "prop", d => d.Spec.Template.Spec.Containers[0].Image = "app:2");
        await ControllerCluster.WaitForAsync(async () =>
        {
            var sets = await cluster.ReplicaSetsAsync("app=prop");
            return sets.Count == 2 && sets.Sum(s => s.Spec.Replicas ?? 0) == 5 && sets.Any(s => s.Spec.Replicas == 1);
        }, "the stalled rollout (4 + 1)");

        await ScaleAsync(client, "prop", 8);
        await ControllerCluster.WaitForAsync(async () =>
        {
            var sizes = (await cluster.ReplicaSetsAsync("app=prop")).Select(s => s.Spec.Replicas ?? 0).OrderBy(x => x).ToList();
            return sizes.SequenceEqual([2, 7]);
        }, "old 7 and new 2 (9 = 8 + maxSurge, in proportion)");
    }

    /// <summary>kubectl rollout status: observed the generation, all replicas updated and available, no old replicas.</summary>
    internal static bool RolloutComplete(V1Deployment d, int replicas) =>
        d.Status is { } s
        && (s.ObservedGeneration ?? 0) >= (d.Metadata.Generation ?? 0)
        && (s.UpdatedReplicas ?? 0) == replicas
        && (s.Replicas ?? 0) == replicas
        && (s.AvailableReplicas ?? 0) == replicas;

    /// <summary>Sets spec.replicas, retrying when the controller's status write got in between.</summary>
    private static Task ScaleAsync(Kube.Core.Client.IKubeClient client, string name, int replicas) =>
        ModifyAsync(client, name, d => d.Spec.Replicas = replicas);

    /// <summary>Changes the Deployment's latest version, retrying when the controller's status write got in between.</summary>
    private static async Task ModifyAsync(Kube.Core.Client.IKubeClient client, string name, Action<V1Deployment> change)
    {
        for (var attempt = 0; ; attempt++)
        {
            var d = await client.GetAsync<V1Deployment>(name, "default");
            change(d);
            try
            {
                await client.UpdateAsync(d);
                return;
            }
            catch (Kube.Core.Client.ConflictException) when (attempt < 10)
            {
            }
        }
    }
}
