using k8s.Models;
using Kube.Core.Client;

namespace Kube.Controllers.Tests.Integration;

[TestClass]
public sealed class GarbageCollectorIntegrationTests
{
    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task OrphanDeletion_KeepsPods_WithoutOwnerReferences()
    {
        await using var cluster = await ControllerCluster.StartAsync();
        var client = cluster.Client;
        await client.CreateAsync(Workloads.ReplicaSet("parent", 2, "orph"));
        await ControllerCluster.WaitForAsync(async () => (await cluster.PodsAsync("app=orph")).Count == 2, "2 pods");

        await client.DeleteAsync<V1ReplicaSet>("parent", "default", new DeleteOptions { PropagationPolicy = PropagationPolicy.Orphan });
        await ControllerCluster.WaitForAsync(async () => (await cluster.ReplicaSetsAsync("app=orph")).Count == 0, "the ReplicaSet to go once orphaning is done");
        var pods = await cluster.PodsAsync("app=orph");
        Assert.AreEqual(2, pods.Count);
        Assert.IsTrue(pods.All(p => p.Metadata.OwnerReferences is null or { Count: 0 }), string.Join("; ", pods.Select(p => k8s.KubernetesJson.Serialize(p.Metadata))));
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task ForegroundDeletion_RemovesDependentsBeforeTheOwner()
    {
        await using var cluster = await ControllerCluster.StartAsync();
        var client = cluster.Client;
        await client.CreateAsync(Workloads.Deployment("fg", 2, "app:1"));
        await ControllerCluster.WaitForAsync(async () => (await cluster.PodsAsync("app=fg")).Count == 2, "2 pods");

        var pending = await client.DeleteAsync<V1Deployment>("fg", "default", new DeleteOptions { PropagationPolicy = PropagationPolicy.Foreground });
        Assert.IsNotNull(pending, "the Deployment waits for its dependents");
        CollectionAssert.Contains(pending.Metadata.Finalizers.ToList(), "foregroundDeletion");

        var ownerOutlivedDependents = true;
        await ControllerCluster.WaitForAsync(async () =>
        {
            bool ownerGone;
            try
            {
                await client.GetAsync<V1Deployment>("fg", "default");
                ownerGone = false;
            }
            catch (NotFoundException)
            {
                ownerGone = true;
            }

            var dependents = (await cluster.ReplicaSetsAsync("app=fg")).Count + (await cluster.PodsAsync("app=fg")).Count;
            if (ownerGone && dependents > 0) ownerOutlivedDependents = false;
            return ownerGone && dependents == 0;
        }, "the Deployment and its dependents to be gone");
        Assert.IsTrue(ownerOutlivedDependents, "the owner went only after its dependents");
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task DependentOfAMissingOwner_IsDeleted_AndDanglingReferencesAreDropped()
    {
        await using var cluster = await ControllerCluster.StartAsync();
        var client = cluster.Client;
        var rs = await client.CreateAsync(Workloads.ReplicaSet("alive", 0, "alive"));

        var dangling = Workloads.Pod("dangling", "nobody");
        dangling.Metadata.OwnerReferences = [new V1OwnerReference { ApiVersion = "apps/v1", Kind = "ReplicaSet", Name = "ghost", Uid = Guid.NewGuid().ToString() }];
        await client.CreateAsync(dangling);

        var half = Workloads.Pod("half", "nobody2");
        half.Metadata.OwnerReferences =
        [
            new V1OwnerReference { ApiVersion = "apps/v1", Kind = "ReplicaSet", Name = "ghost", Uid = Guid.NewGuid().ToString() },
            new V1OwnerReference { ApiVersion = "apps/v1", Kind = "ReplicaSet", Name = "alive", Uid = rs.Metadata.Uid },
        ];
        await client.CreateAsync(half);

        await ControllerCluster.WaitForAsync(async () =>
        {
            try
            {
                await client.GetAsync<V1Pod>("dangling", "default");
                return false;
            }
            catch (NotFoundException)
            {
                var h = await client.GetAsync<V1Pod>("half", "default");
                return h.Metadata.OwnerReferences?.Count == 1 && h.Metadata.OwnerReferences[0].Uid == rs.Metadata.Uid;
            }
        }, "the dangling pod to be collected and the half-owned pod to keep its live owner only");
    }
}
