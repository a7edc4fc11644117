using k8s.Models;
using Kube.Scheduling.Framework;
using Kube.Scheduling.Plugins.VolumeBinding;

namespace Kube.Scheduling.Tests.Integration;

/// <summary>
/// VolumeBinding's PreBind with dynamic provisioning (WaitForFirstConsumer): the claim gets the selected-node
/// annotation and the pod is bound only once the claim is; the test plays the provisioner and the PV controller.
/// </summary>
[TestClass]
public sealed class VolumeProvisioningIntegrationTests
{
    private static async Task<V1Pod> SetUpAsync(SchedulerCluster cluster)
    {
        await cluster.CreateNodeAsync(TestObjects.Node("n1"));
        await cluster.Client.CreateAsync(new V1StorageClass
        {
            ApiVersion = "storage.k8s.io/v1", Kind = "StorageClass",
            Metadata = new V1ObjectMeta { Name = "fast" },
            Provisioner = "example.com/fake",
            VolumeBindingMode = "WaitForFirstConsumer",
        });
        await cluster.Client.CreateAsync(new V1PersistentVolumeClaim
        {
            ApiVersion = "v1", Kind = "PersistentVolumeClaim",
            Metadata = new V1ObjectMeta { Name = "data", NamespaceProperty = "default" },
            Spec = new V1PersistentVolumeClaimSpec
            {
                StorageClassName = "fast",
                AccessModes = ["ReadWriteOnce"],
                Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new("1Gi") } },
            },
        });
        var pod = TestObjects.Pod("db");
        pod.Spec.Volumes = [new V1Volume { Name = "data", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = "data" } }];
        pod = await cluster.CreatePodAsync(pod);
        await SchedulerCluster.WaitForAsync(async () =>
            (await cluster.Client.GetAsync<V1PersistentVolumeClaim>("data", "default")).Metadata.Annotations?.TryGetValue(VolumeBindingPlugin.SelectedNodeAnnotation, out var node) == true && node == "n1",
            "the claim annotated with the selected node");
        return pod;
    }

    private static Task<bool> ReportedAsync(SchedulerCluster cluster, string message) =>
        cluster.Client.GetAsync<V1Pod>("db", "default").ContinueWith(t => t.Result.Status?.Conditions?.Any(c =>
            c.Type == "PodScheduled" && c.Status == "False" && c.Message.Contains(message, StringComparison.Ordinal)) == true, TaskScheduler.Default);

    [TestMethod]
    [Timeout(90_000, CooperativeCancellation = true)]
    public async Task PreBind_WaitsUntilTheProvisionedClaimIsBound_ThenBindsThePod()
    {
        await using var cluster = await SchedulerCluster.StartAsync();
        var pod = await SetUpAsync(cluster);
        Assert.IsTrue(string.IsNullOrEmpty((await cluster.Client.GetAsync<V1Pod>("db", "default")).Spec.NodeName), "not bound while the volume is provisioned");
        Assert.IsTrue(cluster.Scheduler.Cache.IsAssumed(pod.Metadata.Uid), "assumed on n1 meanwhile");

        // The provisioner creates the PV; the PV controller binds the claim to it.
        var claim = await cluster.Client.GetAsync<V1PersistentVolumeClaim>("data", "default");
        await cluster.Client.CreateAsync(new V1PersistentVolume
        {
            ApiVersion = "v1", Kind = "PersistentVolume",
            Metadata = new V1ObjectMeta { Name = "pv-data" },
            Spec = new V1PersistentVolumeSpec
            {
                StorageClassName = "fast",
                Capacity = new Dictionary<string, ResourceQuantity> { ["storage"] = new("1Gi") },
                AccessModes = ["ReadWriteOnce"],
                HostPath = new V1HostPathVolumeSource { Path = "/tmp/pv-data" },
                ClaimRef = new V1ObjectReference { Kind = "PersistentVolumeClaim", Name = "data", NamespaceProperty = "default", Uid = claim.Metadata.Uid },
            },
        });
        claim.Spec.VolumeName = "pv-data";
        claim.Metadata.Annotations["pv.kubernetes.io/bind-completed"] = "yes";
        await cluster.Client.UpdateAsync(claim);
        await SchedulerCluster.WaitForAsync(async () => (await cluster.Client.GetAsync<V1Pod>("db", "default")).Spec.NodeName == "n1", "the pod bound once its claim is");
    }

    [TestMethod]
    [Timeout(90_000, CooperativeCancellation = true)]
    public async Task PreBind_FailsWhenTheProvisionerResetsTheSelectedNode()
    {
        await using var cluster = await SchedulerCluster.StartAsync(o => o.PodInitialBackoff = o.PodMaxBackoff = TimeSpan.FromSeconds(5));
        await SetUpAsync(cluster);
        var claim = await cluster.Client.GetAsync<V1PersistentVolumeClaim>("data", "default");
        claim.Metadata.Annotations.Remove(VolumeBindingPlugin.SelectedNodeAnnotation);
        await cluster.Client.UpdateAsync(claim);
        await SchedulerCluster.WaitForAsync(() => ReportedAsync(cluster, "binding volumes: selectedNode annotation reset for PVC \"data\""), "the failure reported");
        Assert.IsTrue(string.IsNullOrEmpty((await cluster.Client.GetAsync<V1Pod>("db", "default")).Spec.NodeName));
        Assert.AreEqual(0, cluster.Scheduler.Cache.AssumedPodCount, "forgotten, to be retried");
    }

    [TestMethod]
    [Timeout(90_000, CooperativeCancellation = true)]
    public async Task PreBind_GivesUpAfterBindTimeoutSeconds()
    {
        await using var cluster = await SchedulerCluster.StartAsync(o =>
        {
            o.PodInitialBackoff = o.PodMaxBackoff = TimeSpan.FromSeconds(5);
            o.Profiles.Add(new SchedulerProfile { PluginArgs = { [VolumeBindingPlugin.PluginName] = new VolumeBindingArgs { BindTimeoutSeconds = 2 } } });
        });
        await SetUpAsync(cluster);
        await SchedulerCluster.WaitForAsync(() => ReportedAsync(cluster, "binding volumes: context deadline exceeded"), "the timeout reported");
        Assert.AreEqual(0, cluster.Scheduler.Cache.AssumedPodCount);
    }
}
