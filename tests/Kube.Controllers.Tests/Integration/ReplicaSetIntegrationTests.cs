using k8s.Models;
using Kube.Core.Client;

namespace Kube.Controllers.Tests.Integration;

[TestClass]
public sealed class ReplicaSetIntegrationTests
{
    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task ReplicaSet_AdoptsMatchingOrphans_AndCreatesOnlyTheRest()
    {
        await using var cluster = await ControllerCluster.StartAsync();
        var client = cluster.Client;
        await client.CreateAsync(Workloads.Pod("orphan-1", "adopt"));
        await client.CreateAsync(Workloads.Pod("orphan-2", "adopt"));
        var rs = await client.CreateAsync(Workloads.ReplicaSet("adopter", 3, "adopt"));

        await ControllerCluster.WaitForAsync(async () =>
        {
            var pods = await cluster.PodsAsync("app=adopt");
            return pods.Count == 3 && pods.All(p => p.Metadata.OwnerReferences?.Any(r => r.Uid == rs.Metadata.Uid && r.Controller == true) == true);
        }, "3 pods owned by the ReplicaSet");
        var names = (await cluster.PodsAsync("app=adopt")).Select(p => p.Metadata.Name).ToList();
        CollectionAssert.Contains(names, "orphan-1");
        CollectionAssert.Contains(names, "orphan-2");
        Assert.AreEqual(1, names.Count(n => n.StartsWith("adopter-", StringComparison.Ordinal)));
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task ReplicaSet_ReplacesDeletedPods_ReleasesRelabelledOnes_AndReportsStatus()
    {
        await using var cluster = await ControllerCluster.StartAsync();
        var client = cluster.Client;
        var rs = await client.CreateAsync(Workloads.ReplicaSet("keeper", 2, "keep"));
        await ControllerCluster.WaitForAsync(async () => (await cluster.PodsAsync("app=keep")).Count == 2, "2 pods");

        var victim = (await cluster.PodsAsync("app=keep"))[0];
        await client.DeleteAsync<V1Pod>(victim.Metadata.Name, "default");
        await ControllerCluster.WaitForAsync(async () =>
        {
            var pods = await cluster.PodsAsync("app=keep");
            return pods.Count == 2 && pods.All(p => p.Metadata.Name != victim.Metadata.Name);
        }, "a replacement pod");

        // Relabel one pod: it no longer matches, so it is released (owner reference removed) and replaced.
        var moved = (await cluster.PodsAsync("app=keep"))[0];
        moved.Metadata.Labels["app"] = "elsewhere";
        await client.UpdateAsync(moved);
        await ControllerCluster.WaitForAsync(async () =>
        {
            var released = await client.GetAsync<V1Pod>(moved.Metadata.Name, "default");
            return released.Metadata.OwnerReferences is null or { Count: 0 } && (await cluster.PodsAsync("app=keep")).Count == 2;
        }, "the relabelled pod to be released and replaced");

        await ControllerCluster.WaitForAsync(async () =>
        {
            await cluster.MarkPodsReadyAsync("app=keep");
            var s = (await client.GetAsync<V1ReplicaSet>("keeper", "default")).Status;
            return s is { Replicas: 2, FullyLabeledReplicas: 2, ReadyReplicas: 2, AvailableReplicas: 2 } && s.ObservedGeneration == rs.Metadata.Generation;
        }, "the status to report 2 ready and available replicas");
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task ReplicaSet_ScaleDown_DeletesNotReadyPodsFirst()
    {
        await using var cluster = await ControllerCluster.StartAsync();
        var client = cluster.Client;
        await client.CreateAsync(Workloads.ReplicaSet("shrink", 3, "shrink"));
        await ControllerCluster.WaitForAsync(async () => (await cluster.PodsAsync("app=shrink")).Count == 3, "3 pods");
        var pods = await cluster.PodsAsync("app=shrink");
        var notReady = pods[1].Metadata.Name;
        foreach (var p in pods.Where(p => p.Metadata.Name != notReady))
        {
            p.Status ??= new V1PodStatus();
            p.Status.Phase = "Running";
            p.Status.Conditions = [new V1PodCondition { Type = "Ready", Status = "True", LastTransitionTime = DateTime.UtcNow }];
            await client.UpdateStatusAsync(p);
        }

        // Wait until the controller has seen the readiness (its status says so), then scale down.
        await ControllerCluster.WaitForAsync(async () => (await client.GetAsync<V1ReplicaSet>("shrink", "default")).Status?.ReadyReplicas == 2, "2 ready replicas");
        var current = await client.GetAsync<V1ReplicaSet>("shrink", "default");
        current.Spec.Replicas = 2;
        await client.UpdateAsync(current);
        await ControllerCluster.WaitForAsync(async () => (await cluster.PodsAsync("app=shrink")).Count == 2, "2 pods");
        Assert.IsFalse((await cluster.PodsAsync("app=shrink")).Any(p => p.Metadata.Name == notReady), "the not-ready pod went first");
    }
}
