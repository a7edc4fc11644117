using k8s.Models;
using Kube.Core.Client;

namespace Kube.Controllers.Tests.Integration;

[TestClass]
public sealed class StatefulSetIntegrationTests
{
    private static V1StatefulSet Set(string name, int replicas, string image, string policy = "OrderedReady", string strategy = "RollingUpdate", int? partition = null) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "StatefulSet",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
        Spec = new V1StatefulSetSpec
        {
            Replicas = replicas,
            ServiceName = name,
            PodManagementPolicy = policy,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
            Template = Workloads.Template(name, image),
            UpdateStrategy = strategy == "OnDelete"
                ? new V1StatefulSetUpdateStrategy { Type = "OnDelete" }
                : new V1StatefulSetUpdateStrategy { Type = "RollingUpdate", RollingUpdate = new V1RollingUpdateStatefulSetStrategy { Partition = partition } },
            VolumeClaimTemplates =
            [
                new V1PersistentVolumeClaim
                {
                    Metadata = new V1ObjectMeta { Name = "data" },
                    Spec = new V1PersistentVolumeClaimSpec
                    {
                        AccessModes = ["ReadWriteOnce"],
                        Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new ResourceQuantity("1Gi") } },
                    },
                },
            ],
        },
    };

    private static async Task<List<V1Pod>> LivePodsAsync(ControllerCluster cluster, string app) =>
        (await cluster.PodsAsync("app=" + app)).Where(p => p.Metadata.DeletionTimestamp is null).OrderBy(p => p.Metadata.Name).ToList();

    /// <summary>Plays the kubelet with a finalizer-free twist: deleting pods go at once, others become Running and Ready.</summary>
    private static async Task KubeletRoundAsync(ControllerCluster cluster, string app) => await cluster.MarkPodsReadyAsync("app=" + app);

    [TestMethod]
    [Timeout(90_000, CooperativeCancellation = true)]
    public async Task OrderedReady_CreatesOrdinalsInOrder_EachAfterThePreviousIsReady_WithClaims()
    {
        await using var cluster = await ControllerCluster.StartAsync();
        var client = cluster.Client;
        await client.CreateAsync(Set("db", 3, "db:1"));
        await ControllerCluster.WaitForAsync(async () => (await LivePodsAsync(cluster, "db")).Count == 1, "db-0");
        var first = (await LivePodsAsync(cluster, "db")).Single();
        Assert.AreEqual("db-0", first.Metadata.Name);
        Assert.AreEqual("db-0", first.Spec.Hostname);
        Assert.AreEqual("db", first.Spec.Subdomain);
        Assert.AreEqual("0", first.Metadata.Labels["apps.kubernetes.io/pod-index"]);
        Assert.AreEqual("data-db-0", first.Spec.Volumes.Single(v => v.Name == "data").PersistentVolumeClaim.ClaimName);
        Assert.AreEqual("db", (await client.GetAsync<V1PersistentVolumeClaim>("data-db-0", "default")).Metadata.Labels["app"]);

        // db-1 waits until db-0 is Running and Ready.
        Assert.AreEqual(1, (await LivePodsAsync(cluster, "db")).Count);
        await ControllerCluster.WaitForAsync(async () =>
        {
            await KubeletRoundAsync(cluster, "db");
            return (await LivePodsAsync(cluster, "db")).Select(p => p.Metadata.Name).SequenceEqual(["db-0", "db-1", "db-2"]);
        }, "db-0..db-2 in order");
        await ControllerCluster.WaitForAsync(async () =>
        {
            await KubeletRoundAsync(cluster, "db");
            var s = (await client.GetAsync<V1StatefulSet>("db", "default")).Status;
            return s is { Replicas: 3, ReadyReplicas: 3, CurrentReplicas: 3, UpdatedReplicas: 3 } && s.CurrentRevision == s.UpdateRevision && s.CurrentRevision is not null;
        }, "status 3 ready, current = update revision");
        var status = (await client.GetAsync<V1StatefulSet>("db", "default")).Status;
        var revision = await client.GetAsync<V1ControllerRevision>(status.UpdateRevision, "default");
        Assert.AreEqual(1, revision.Revision);
        Assert.IsTrue((await LivePodsAsync(cluster, "db")).All(p => p.Metadata.Labels["controller-revision-hash"] == status.UpdateRevision));
        foreach (var i in new[] { 1, 2 }) await client.GetAsync<V1PersistentVolumeClaim>($"data-db-{i}", "default");

        // Scale down removes the highest ordinal; its claim stays (retention policy Retain).
        await cluster.ModifyAsync<V1StatefulSet>("db", "default", s => s.Spec.Replicas = 2);
        await ControllerCluster.WaitForAsync(async () =>
            (await LivePodsAsync(cluster, "db")).Select(p => p.Metadata.Name).SequenceEqual(["db-0", "db-1"]), "db-2 removed");
        await client.GetAsync<V1PersistentVolumeClaim>("data-db-2", "default");
    }

    [TestMethod]
    [Timeout(90_000, CooperativeCancellation = true)]
    public async Task RollingUpdate_WithPartition_UpdatesOnlyOrdinalsAtOrAboveIt_HighestFirst()
    {
        await using var cluster = await ControllerCluster.StartAsync();
        var client = cluster.Client;
        await client.CreateAsync(Set("web", 3, "web:1", policy: "Parallel", partition: 1));
        await ControllerCluster.WaitForAsync(async () =>
        {
            await KubeletRoundAsync(cluster, "web");
            var s = (await client.GetAsync<V1StatefulSet>("web", "default")).Status;
            return s is { ReadyReplicas: 3 } && (await LivePodsAsync(cluster, "web")).Count == 3;
        }, "3 ready pods created in parallel");
        var before = (await client.GetAsync<V1StatefulSet>("web", "default")).Status.CurrentRevision;

        await cluster.ModifyAsync<V1StatefulSet>("web", "default", s => s.Spec.Template.Spec.Containers[0].Image = "web:2");
        await ControllerCluster.WaitForAsync(async () =>
        {
            await KubeletRoundAsync(cluster, "web");
            var pods = await LivePodsAsync(cluster, "web");
            return pods.Count == 3 && pods.Where(p => p.Metadata.Name != "web-0").All(p => p.Spec.Containers[0].Image == "web:2")
                && pods.All(p => PodReady(p));
        }, "web-1 and web-2 updated");
        var set = await client.GetAsync<V1StatefulSet>("web", "default");
        Assert.AreEqual("web:1", (await client.GetAsync<V1Pod>("web-0", "default")).Spec.Containers[0].Image, "below the partition stays");
        await ControllerCluster.WaitForAsync(async () =>
        {
            var s = (await client.GetAsync<V1StatefulSet>("web", "default")).Status;
            return s.UpdatedReplicas == 2 && s.CurrentRevision == before && s.UpdateRevision != before;
        }, "updatedReplicas 2, currentRevision unchanged");

        // Partition 0 finishes the rollout: currentRevision becomes the update revision.
        await cluster.ModifyAsync<V1StatefulSet>("web", "default", s => s.Spec.UpdateStrategy.RollingUpdate.Partition = 0);
        await ControllerCluster.WaitForAsync(async () =>
        {
            await KubeletRoundAsync(cluster, "web");
            var s = (await client.GetAsync<V1StatefulSet>("web", "default")).Status;
            return s.CurrentRevision == s.UpdateRevision && s.UpdatedReplicas == 3 && s.ReadyReplicas == 3;
        }, "the rollout completes");
        Assert.AreEqual("web:2", (await client.GetAsync<V1Pod>("web-0", "default")).Spec.Containers[0].Image);
        var revisions = (await client.ListAsync<V1ControllerRevision>("default")).Items.Where(r => r.Metadata.Name.StartsWith("web-", StringComparison.Ordinal)).ToList();
        CollectionAssert.AreEquivalent(new long[] { 1, 2 }, revisions.Select(r => r.Revision).ToList());
    }

    [TestMethod]
    [Timeout(90_000, CooperativeCancellation = true)]
    public async Task OnDelete_LeavesPodsAlone_UntilTheyAreDeleted()
    {
        await using var cluster = await ControllerCluster.StartAsync();
        var client = cluster.Client;
        await client.CreateAsync(Set("od", 2, "od:1", policy: "Parallel", strategy: "OnDelete"));
        await ControllerCluster.WaitForAsync(async () =>
        {
            await KubeletRoundAsync(cluster, "od");
            return (await client.GetAsync<V1StatefulSet>("od", "default")).Status?.ReadyReplicas == 2;
        }, "2 ready pods");
        await cluster.ModifyAsync<V1StatefulSet>("od", "default", s => s.Spec.Template.Spec.Containers[0].Image = "od:2");
        await ControllerCluster.WaitForAsync(async () => (await client.GetAsync<V1StatefulSet>("od", "default")).Status?.ObservedGeneration == 2, "the new generation observed");
        Assert.IsTrue((await LivePodsAsync(cluster, "od")).All(p => p.Spec.Containers[0].Image == "od:1"), "OnDelete does not replace pods");

        await client.DeleteAsync<V1Pod>("od-1", "default");
        await ControllerCluster.WaitForAsync(async () =>
        {
            var pods = await LivePodsAsync(cluster, "od");
            return pods.Count == 2 && pods.Single(p => p.Metadata.Name == "od-1").Spec.Containers[0].Image == "od:2";
        }, "od-1 recreated from the new template");
        Assert.AreEqual("od:1", (await client.GetAsync<V1Pod>("od-0", "default")).Spec.Containers[0].Image);
    }

    private static bool PodReady(V1Pod p) => p.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task MinReadySeconds_CountsReplicasAvailableOnlyAfterTheyStayedReady()
    {
        await using var cluster = await ControllerCluster.StartAsync();
        var client = cluster.Client;
        var set = Set("patient", 1, "app:1", policy: "Parallel");
        set.Spec.MinReadySeconds = 2;
        await client.CreateAsync(set);
        await ControllerCluster.WaitForAsync(async () => await cluster.MarkPodsReadyAsync("app=patient") == 1, "the pod marked ready");
        await ControllerCluster.WaitForAsync(async () => (await client.GetAsync<V1StatefulSet>("patient", "default")).Status is { ReadyReplicas: 1 }, "ready counted");
        var readyAt = DateTime.UtcNow;
        Assert.AreEqual(0, (await client.GetAsync<V1StatefulSet>("patient", "default")).Status.AvailableReplicas ?? 0, "not available before minReadySeconds");
        await ControllerCluster.WaitForAsync(async () => (await client.GetAsync<V1StatefulSet>("patient", "default")).Status is { AvailableReplicas: 1 },
            "available after minReadySeconds without another event");
        Assert.IsTrue(DateTime.UtcNow - readyAt > TimeSpan.FromSeconds(0.5), "availability waited for minReadySeconds");
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task ClaimRetentionPolicy_Delete_TakesClaimsOfScaledAwayPods_AndAllClaimsWithTheSet()
    {
        await using var cluster = await ControllerCluster.StartAsync();
        var client = cluster.Client;
        var set = Set("ret", 2, "app:1", policy: "Parallel");
        set.Spec.PersistentVolumeClaimRetentionPolicy = new V1StatefulSetPersistentVolumeClaimRetentionPolicy { WhenDeleted = "Delete", WhenScaled = "Delete" };
        var created = await client.CreateAsync(set);

        async Task<bool> ClaimExistsAsync(string name) => (await client.ListAsync<V1PersistentVolumeClaim>("default")).Items.Any(c => c.Metadata.Name == name);
        await ControllerCluster.WaitForAsync(async () =>
        {
            var claims = (await client.ListAsync<V1PersistentVolumeClaim>("default")).Items.Where(c => c.Metadata.Name.StartsWith("data-ret-", StringComparison.Ordinal)).ToList();
            return claims.Count == 2 && claims.All(c => c.Metadata.OwnerReferences?.Any(r => r.Uid == created.Metadata.Uid && r.Kind == "StatefulSet" && r.Controller != true) == true);
        }, "both claims owned by the set (whenDeleted: Delete)");

        await cluster.ModifyAsync<V1StatefulSet>("ret", "default", s => s.Spec.Replicas = 1);
        await ControllerCluster.WaitForAsync(async () => !await ClaimExistsAsync("data-ret-1"), "the scaled-away pod's claim deleted with its pod (whenScaled: Delete)");
        Assert.IsTrue(await ClaimExistsAsync("data-ret-0"));

        await client.DeleteAsync<V1StatefulSet>("ret", "default");
        await ControllerCluster.WaitForAsync(async () => !await ClaimExistsAsync("data-ret-0"), "the remaining claim deleted with the set");
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task ClaimRetentionPolicy_RetainByDefault_LeavesClaimsWithoutOwners()
    {
        await using var cluster = await ControllerCluster.StartAsync();
        var client = cluster.Client;
        await client.CreateAsync(Set("keep", 1, "app:1", policy: "Parallel"));
        await ControllerCluster.WaitForAsync(async () => (await client.ListAsync<V1PersistentVolumeClaim>("default")).Items.Any(c => c.Metadata.Name == "data-keep-0"), "claim");
        await client.DeleteAsync<V1StatefulSet>("keep", "default");
        await ControllerCluster.WaitForAsync(async () => !(await client.ListAsync<V1Pod>("default")).Items.Any(p => p.Metadata.Name == "keep-0"), "the pod gone with the set");
        var claim = await client.GetAsync<V1PersistentVolumeClaim>("data-keep-0", "default");
        Assert.IsNull(claim.Metadata.DeletionTimestamp);
        Assert.IsFalse(claim.Metadata.OwnerReferences?.Count > 0);
    }
}
