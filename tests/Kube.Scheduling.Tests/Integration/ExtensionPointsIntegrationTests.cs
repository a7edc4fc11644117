using k8s.Models;
using Kube.Scheduling.Framework;
using Kube.Scheduling.Plugins.VolumeBinding;

namespace Kube.Scheduling.Tests.Integration;

[TestClass]
public sealed class ExtensionPointsIntegrationTests
{
    [TestMethod]
    [Timeout(90_000, CooperativeCancellation = true)]
    public async Task Permit_HoldsThePod_UntilAnotherPluginAllowsIt_ThenItBinds()
    {
        await using var cluster = await SchedulerCluster.StartAsync(plugins: b => b.AddPlugin<GatePermitPlugin>(GatePermitPlugin.PluginName));
        await cluster.CreateNodeAsync(TestObjects.Node("n1"));
        var pod = await cluster.CreatePodAsync(TestObjects.Pod("held"));
        var scheduler = cluster.Scheduler;
        IWaitingPod? waiting = null;
        await SchedulerCluster.WaitForAsync(() => Task.FromResult((waiting = scheduler.Profiles[SchedulerOptions.DefaultSchedulerName].Handle.GetWaitingPod(pod.Metadata.Uid)) is not null), "the pod waiting on Permit");
        Assert.AreEqual("n1", waiting!.NodeName);
        Assert.IsTrue(string.IsNullOrEmpty((await cluster.Client.GetAsync<V1Pod>("held", "default")).Spec.NodeName), "not bound while waiting");
        waiting.Allow(GatePermitPlugin.PluginName);
        await SchedulerCluster.WaitForAsync(async () => (await cluster.Client.GetAsync<V1Pod>("held", "default")).Spec.NodeName == "n1", "the pod bound once allowed");
    }

    [TestMethod]
    [Timeout(90_000, CooperativeCancellation = true)]
    public async Task Permit_Rejection_UnreservesThePod_AndReportsIt()
    {
        // Without popping from the backoff queue the rejected pod waits out its backoff unassumed (with it, the idle
        // scheduler would try it again at once and it would be assumed and held by Permit anew).
        await using var cluster = await SchedulerCluster.StartAsync(o => o.PopFromBackoffQ = false, b => b.AddPlugin<GatePermitPlugin>(GatePermitPlugin.PluginName));
        await cluster.CreateNodeAsync(TestObjects.Node("n1"));
        var pod = await cluster.CreatePodAsync(TestObjects.Pod("refused"));
        var handle = cluster.Scheduler.Profiles[SchedulerOptions.DefaultSchedulerName].Handle;
        IWaitingPod? waiting = null;
        await SchedulerCluster.WaitForAsync(() => Task.FromResult((waiting = handle.GetWaitingPod(pod.Metadata.Uid)) is not null), "the pod waiting on Permit");
        waiting!.Reject(GatePermitPlugin.PluginName, "the gang is incomplete");
        await SchedulerCluster.WaitForAsync(async () =>
            (await cluster.Client.GetAsync<V1Pod>("refused", "default")).Status?.Conditions?.Any(c => c.Type == "PodScheduled" && c.Message.Contains("the gang is incomplete", StringComparison.Ordinal)) == true,
            "the rejection reported on the pod");
        Assert.IsFalse(cluster.Scheduler.Cache.Contains(pod.Metadata.Uid), "no longer assumed");
    }

    [TestMethod]
    [Timeout(90_000, CooperativeCancellation = true)]
    public async Task VolumeBinding_PodFollowsItsBoundVolumesNodeAffinity()
    {
        await using var cluster = await SchedulerCluster.StartAsync();
        foreach (var (name, zone) in new[] { ("a1", "a"), ("b1", "b"), ("c1", "c") })
        {
            var n = TestObjects.Node(name);
            n.Metadata.Labels = new Dictionary<string, string> { ["zone"] = zone };
            await cluster.CreateNodeAsync(n);
        }

        await cluster.Client.CreateAsync(new V1PersistentVolume
        {
            ApiVersion = "v1", Kind = "PersistentVolume",
            Metadata = new V1ObjectMeta { Name = "pv-b" },
            Spec = new V1PersistentVolumeSpec
            {
                Capacity = new Dictionary<string, ResourceQuantity> { ["storage"] = new("1Gi") },
                AccessModes = ["ReadWriteOnce"],
                HostPath = new V1HostPathVolumeSource { Path = "/tmp/pv-b" },
                NodeAffinity = new V1VolumeNodeAffinity
                {
                    Required = new V1NodeSelector { NodeSelectorTerms = [new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = "zone", OperatorProperty = "In", Values = ["b"] }] }] },
                },
            },
        });
        await cluster.Client.CreateAsync(new V1PersistentVolumeClaim
        {
            ApiVersion = "v1", Kind = "PersistentVolumeClaim",
            Metadata = new V1ObjectMeta { Name = "data", NamespaceProperty = "default" },
            Spec = new V1PersistentVolumeClaimSpec
            {
                VolumeName = "pv-b", StorageClassName = "",
                AccessModes = ["ReadWriteOnce"],
                Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new("1Gi") } },
            },
        });
        var pod = TestObjects.Pod("uses-data");
        pod.Spec.Volumes = [new V1Volume { Name = "data", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = "data" } }];
        await cluster.CreatePodAsync(pod);
        await SchedulerCluster.WaitForAsync(async () => (await cluster.Client.GetAsync<V1Pod>("uses-data", "default")).Spec.NodeName == "b1", "the pod on the volume's zone");

        var orphan = TestObjects.Pod("no-claim");
        orphan.Spec.Volumes = [new V1Volume { Name = "x", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = "missing" } }];
        await cluster.CreatePodAsync(orphan);
        await SchedulerCluster.WaitForAsync(async () =>
            (await cluster.Client.GetAsync<V1Pod>("no-claim", "default")).Status?.Conditions?.Any(c => c.Type == "PodScheduled"
                && c.Message.StartsWith("0/3 nodes are available: persistentvolumeclaim \"missing\" not found.", StringComparison.Ordinal)) == true,
            "upstream's message for a missing claim");
    }

    /// <summary>A Permit plugin that holds every pod for up to a minute.</summary>
    internal sealed class GatePermitPlugin : IPermitPlugin
    {
        public const string PluginName = "Gate";

        public string Name => PluginName;

        public (Status Status, TimeSpan Timeout) Permit(CycleState state, V1Pod pod, string nodeName) => (Status.Wait, TimeSpan.FromMinutes(1));
    }
}
