using k8s.Models;
using Kube.ApiServer.Security;
using Kube.Core.Client;

namespace Kube.ApiServer.Tests.Security;

/// <summary>The bootstrap system:volume-scheduler role lets the scheduler bind PersistentVolumes.</summary>
[TestClass]
public sealed class VolumeSchedulerRbacTests
{
    private static TestCluster _cluster = null!;

    [ClassInitialize]
    public static async Task InitAsync(TestContext _) =>
        _cluster = await TestCluster.StartAsync(o => o.Security = new ApiServerSecurityOptions());

    [ClassCleanup]
    public static async Task CleanupAsync() => await _cluster.DisposeAsync();

    [TestMethod]
    public async Task BootstrapRoleAndBinding_Exist()
    {
        var role = await _cluster.Client.GetAsync<V1ClusterRole>("system:volume-scheduler");
        var pv = role.Rules.Single(r => r.Resources.Contains("persistentvolumes"));
        CollectionAssert.AreEquivalent(new[] { "get", "list", "watch", "update", "patch" }, pv.Verbs.ToArray());
        var binding = await _cluster.Client.GetAsync<V1ClusterRoleBinding>("system:volume-scheduler");
        Assert.AreEqual("system:volume-scheduler", binding.RoleRef.Name);
        Assert.AreEqual("system:kube-scheduler", binding.Subjects.Single().Name);
        Assert.AreEqual("User", binding.Subjects.Single().Kind);
    }

    [TestMethod]
    public async Task Scheduler_CanPatchPersistentVolumesAndClaims_ButNotDeleteThem()
    {
        await _cluster.Client.CreateAsync(new V1PersistentVolume
        {
            Metadata = new() { Name = "vs-pv" },
            Spec = new()
            {
                Capacity = new Dictionary<string, ResourceQuantity> { ["storage"] = new("1Gi") },
                AccessModes = ["ReadWriteOnce"],
                HostPath = new V1HostPathVolumeSource { Path = "/tmp/vs-pv" },
            },
        });
        await _cluster.Client.CreateAsync(new V1PersistentVolumeClaim
        {
            Metadata = new() { Name = "vs-pvc", NamespaceProperty = "default" },
            Spec = new()
            {
                AccessModes = ["ReadWriteOnce"],
                Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new("1Gi") } },
            },
        });

        var scheduler = _cluster.Server.CreateClient(ComponentIdentities.Scheduler);
        var pv = await scheduler.PatchAsync<V1PersistentVolume>("vs-pv", null, new KubePatch(KubePatchType.Merge,
            """{"spec":{"claimRef":{"kind":"PersistentVolumeClaim","apiVersion":"v1","namespace":"default","name":"vs-pvc"}}}"""));
        Assert.AreEqual("vs-pvc", pv.Spec.ClaimRef.Name);
        var pvc = await scheduler.PatchAsync<V1PersistentVolumeClaim>("vs-pvc", "default", new KubePatch(KubePatchType.Merge,
            """{"metadata":{"annotations":{"volume.kubernetes.io/selected-node":"n1"}}}"""));
        Assert.AreEqual("n1", pvc.Metadata.Annotations["volume.kubernetes.io/selected-node"]);
        await scheduler.ListAsync<V1StorageClass>();

        var e = await Assert.ThrowsAsync<KubeApiException>(() => scheduler.DeleteAsync<V1PersistentVolume>("vs-pv"));
        Assert.AreEqual(403, (int)e.StatusCode);
    }
}
