using k8s.Models;
using Kube.Core.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Kube.Controllers.Tests.Integration;

[TestClass]
public sealed class PersistentVolumeIntegrationTests
{
    private const string Ns = "default";

    internal static V1PersistentVolume Pv(string name, string size, string? cls = null, string policy = "Retain", string[]? modes = null,
        Dictionary<string, string>? labels = null, V1ObjectReference? claimRef = null) => new()
    {
        ApiVersion = "v1",
        Kind = "PersistentVolume",
        Metadata = new V1ObjectMeta { Name = name, Labels = labels },
        Spec = new V1PersistentVolumeSpec
        {
            Capacity = new Dictionary<string, ResourceQuantity> { ["storage"] = new(size) },
            AccessModes = modes ?? ["ReadWriteOnce"],
            PersistentVolumeReclaimPolicy = policy,
            StorageClassName = cls,
            HostPath = new V1HostPathVolumeSource { Path = "/tmp/kube-pv-tests/" + name },
            ClaimRef = claimRef,
        },
    };

    internal static V1PersistentVolumeClaim Pvc(string name, string size, string? cls = "", string? volumeName = null, V1LabelSelector? selector = null) => new()
    {
        ApiVersion = "v1",
        Kind = "PersistentVolumeClaim",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Ns },
        Spec = new V1PersistentVolumeClaimSpec
        {
            AccessModes = ["ReadWriteOnce"],
            Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new(size) } },
            StorageClassName = cls,
            VolumeName = volumeName,
            Selector = selector,
        },
    };

    private static Task<ControllerCluster> StartAsync() => ControllerCluster.StartAsync(c => c.AddPersistentVolumeControllers());

    private static async Task<V1PersistentVolumeClaim> WaitBoundAsync(IKubeClient client, string claim, string volume)
    {
        V1PersistentVolumeClaim? last = null;
        await ControllerCluster.WaitForAsync(async () =>
        {
            last = await client.GetAsync<V1PersistentVolumeClaim>(claim, Ns);
            var pv = await client.GetAsync<V1PersistentVolume>(volume);
            return last.Status?.Phase == "Bound" && last.Spec.VolumeName == volume && pv.Status?.Phase == "Bound";
        }, $"claim {claim} and volume {volume} Bound");
        return last!;
    }

    private static async Task<bool> HasEventAsync(IKubeClient client, string regarding, string reason, string message) =>
        (await client.ListAsync<Eventsv1Event>(Ns)).Items.Any(e => e.Regarding?.Name == regarding && e.Reason == reason && e.Note == message);

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task ImmediateClaim_BindsTheSmallestFittingVolume_BothSidesAsUpstream()
    {
        await using var cluster = await StartAsync();
        var client = cluster.Client;
        await client.CreateAsync(Pv("small", "1Gi"));
        await client.CreateAsync(Pv("fits", "3Gi"));
        await client.CreateAsync(Pv("large", "5Gi"));
        await client.CreateAsync(Pv("other-class", "2Gi", cls: "fast"));
        await client.CreateAsync(Pv("read-many", "2Gi", modes: ["ReadOnlyMany"]));
        await ControllerCluster.WaitForAsync(async () => (await client.ListAsync<V1PersistentVolume>()).Items.All(v => v.Status?.Phase == "Available"),
            "every volume Available");

        var created = await client.CreateAsync(Pvc("data", "2Gi"));
        var claim = await WaitBoundAsync(client, "data", "fits");
        var pv = await client.GetAsync<V1PersistentVolume>("fits");

        Assert.AreEqual(created.Metadata.Uid, pv.Spec.ClaimRef.Uid);
        Assert.AreEqual("data", pv.Spec.ClaimRef.Name);
        Assert.AreEqual(Ns, pv.Spec.ClaimRef.NamespaceProperty);
        Assert.AreEqual("PersistentVolumeClaim", pv.Spec.ClaimRef.Kind);
        Assert.IsFalse(string.IsNullOrEmpty(pv.Spec.ClaimRef.ResourceVersion));
        Assert.AreEqual("yes", pv.Metadata.Annotations["pv.kubernetes.io/bound-by-controller"]);
        Assert.AreEqual("yes", claim.Metadata.Annotations["pv.kubernetes.io/bind-completed"]);
        Assert.AreEqual("yes", claim.Metadata.Annotations["pv.kubernetes.io/bound-by-controller"]);
        Assert.AreEqual("3Gi", claim.Status.Capacity["storage"].ToString());
        CollectionAssert.AreEqual(new[] { "ReadWriteOnce" }, claim.Status.AccessModes.ToArray());
        foreach (var name in new[] { "small", "large", "other-class", "read-many" })
            Assert.IsNull((await client.GetAsync<V1PersistentVolume>(name)).Spec.ClaimRef, name + " stays free");
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task ClaimWithoutVolumeOrClass_StaysPendingWithFailedBinding_ThenBindsWhenAVolumeAppears()
    {
        await using var cluster = await StartAsync();
        var client = cluster.Client;
        await client.CreateAsync(Pvc("later", "1Gi"));
        await ControllerCluster.WaitForAsync(async () => (await client.GetAsync<V1PersistentVolumeClaim>("later", Ns)).Status?.Phase == "Pending"
            && await HasEventAsync(client, "later", "FailedBinding", "no persistent volumes available for this claim and no storage class is set"),
            "Pending with FailedBinding");

        await client.CreateAsync(Pv("arrives", "1Gi"));
        await WaitBoundAsync(client, "later", "arrives");
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task PreBinding_ByVolumeNameOrClaimRef_WinsOverSmallerVolumes_AndSelectorFilters()
    {
        await using var cluster = await StartAsync();
        var client = cluster.Client;
        await client.CreateAsync(Pv("tiny", "1Gi"));
        await client.CreateAsync(Pv("chosen-by-claim", "4Gi"));
        await client.CreateAsync(Pv("reserved", "4Gi", claimRef: new V1ObjectReference { Name = "wants-reserved", NamespaceProperty = Ns }));
        await client.CreateAsync(Pv("labelled", "8Gi", labels: new Dictionary<string, string> { ["tier"] = "gold" }));
        await ControllerCluster.WaitForAsync(async () => (await client.ListAsync<V1PersistentVolume>()).Items.All(v => v.Status?.Phase == "Available"),
            "every volume Available (a claimRef without UID is a reservation)");

        await client.CreateAsync(Pvc("by-name", "1Gi", volumeName: "chosen-by-claim"));
        await client.CreateAsync(Pvc("wants-reserved", "1Gi"));
        await client.CreateAsync(Pvc("gold", "1Gi", selector: new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["tier"] = "gold" } }));

        var byName = await WaitBoundAsync(client, "by-name", "chosen-by-claim");
        Assert.IsFalse(byName.Metadata.Annotations.ContainsKey("pv.kubernetes.io/bound-by-controller"), "the user set volumeName");
        var reserved = await WaitBoundAsync(client, "wants-reserved", "reserved");
        Assert.AreEqual("yes", reserved.Metadata.Annotations["pv.kubernetes.io/bound-by-controller"]);
        Assert.IsFalse((await client.GetAsync<V1PersistentVolume>("reserved")).Metadata.Annotations?.ContainsKey("pv.kubernetes.io/bound-by-controller") == true,
            "the user pre-bound the volume");
        await WaitBoundAsync(client, "gold", "labelled");
        Assert.IsNull((await client.GetAsync<V1PersistentVolume>("tiny")).Spec.ClaimRef);
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task RequestedVolumeThatDoesNotFit_IsAVolumeMismatch_AndOneOfAnotherClaim_FailedBinding()
    {
        await using var cluster = await StartAsync();
        var client = cluster.Client;
        await client.CreateAsync(Pv("too-small", "1Gi"));
        await client.CreateAsync(Pv("taken", "1Gi"));
        await client.CreateAsync(Pvc("owner", "1Gi", volumeName: "taken"));
        await WaitBoundAsync(client, "owner", "taken");

        await client.CreateAsync(Pvc("big", "2Gi", volumeName: "too-small"));
        await client.CreateAsync(Pvc("late", "1Gi", volumeName: "taken"));
        await ControllerCluster.WaitForAsync(async () =>
            await HasEventAsync(client, "big", "VolumeMismatch", "Cannot bind to requested volume \"too-small\": requested PV is too small")
            && await HasEventAsync(client, "late", "FailedBinding", "volume \"taken\" already bound to a different claim."),
            "VolumeMismatch and FailedBinding events");
        Assert.AreEqual("Pending", (await client.GetAsync<V1PersistentVolumeClaim>("big", Ns)).Status?.Phase);
        Assert.AreEqual("Pending", (await client.GetAsync<V1PersistentVolumeClaim>("late", Ns)).Status?.Phase);
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task DeletingABoundClaim_ReleasesRetainVolumes_AndDeletesDeleteVolumes()
    {
        await using var cluster = await StartAsync();
        var client = cluster.Client;
        await client.CreateAsync(Pv("kept", "1Gi", cls: "keep"));
        await client.CreateAsync(Pv("dropped", "1Gi", cls: "drop", policy: "Delete"));
        await client.CreateAsync(Pvc("a", "1Gi", cls: "keep"));
        await client.CreateAsync(Pvc("b", "1Gi", cls: "drop"));
        await WaitBoundAsync(client, "a", "kept");
        await WaitBoundAsync(client, "b", "dropped");
        await ControllerCluster.WaitForAsync(async () =>
            (await client.GetAsync<V1PersistentVolumeClaim>("a", Ns)).Metadata.Finalizers?.Contains("kubernetes.io/pvc-protection") == true
            && (await client.GetAsync<V1PersistentVolume>("kept")).Metadata.Finalizers?.Contains("kubernetes.io/pv-protection") == true,
            "protection finalizers");

        await client.DeleteAsync<V1PersistentVolumeClaim>("a", Ns);
        await client.DeleteAsync<V1PersistentVolumeClaim>("b", Ns);
        await ControllerCluster.WaitForAsync(async () => (await client.GetAsync<V1PersistentVolume>("kept")).Status?.Phase == "Released", "Retain volume Released");
        await ControllerCluster.WaitForAsync(async () => !(await client.ListAsync<V1PersistentVolume>()).Items.Any(v => v.Metadata.Name == "dropped"),
            "Delete volume deleted");
        Assert.AreEqual("a", (await client.GetAsync<V1PersistentVolume>("kept")).Spec.ClaimRef.Name, "a Released volume keeps its claimRef");

        // A new claim of the same name does not get the Released volume back.
        await client.CreateAsync(Pvc("a", "1Gi", cls: "keep"));
        await ControllerCluster.WaitForAsync(async () => (await client.GetAsync<V1PersistentVolumeClaim>("a", Ns)).Status?.Phase == "Pending", "new claim Pending");
        Assert.AreEqual("Released", (await client.GetAsync<V1PersistentVolume>("kept")).Status?.Phase);
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task WaitForFirstConsumer_IsLeftToTheScheduler_ThenTheControllerCompletesItsBinding()
    {
        await using var cluster = await StartAsync();
        var client = cluster.Client;
        await client.CreateAsync(new V1StorageClass
        {
            ApiVersion = "storage.k8s.io/v1",
            Kind = "StorageClass",
            Metadata = new V1ObjectMeta { Name = "local" },
            Provisioner = "kubernetes.io/no-provisioner",
            VolumeBindingMode = "WaitForFirstConsumer",
        });
        await client.CreateAsync(Pv("local-pv", "1Gi", cls: "local"));
        var claim = await client.CreateAsync(Pvc("delayed", "1Gi", cls: "local"));
        await ControllerCluster.WaitForAsync(async () =>
            await HasEventAsync(client, "delayed", "WaitForFirstConsumer", "waiting for first consumer to be created before binding"), "WaitForFirstConsumer event");
        Assert.IsNull((await client.GetAsync<V1PersistentVolume>("local-pv")).Spec.ClaimRef, "the controller leaves delayed claims to the scheduler");

        // What the scheduler's VolumeBinding PreBind writes: the PV's claimRef, then the claim's volumeName and bind-completed.
        await cluster.ModifyAsync<V1PersistentVolume>("local-pv", null, pv => pv.Spec.ClaimRef = new V1ObjectReference
        {
            ApiVersion = "v1", Kind = "PersistentVolumeClaim", Name = "delayed", NamespaceProperty = Ns, Uid = claim.Metadata.Uid,
        });
        await cluster.ModifyAsync<V1PersistentVolumeClaim>("delayed", Ns, c =>
        {
            c.Spec.VolumeName = "local-pv";
            c.Metadata.Annotations ??= new Dictionary<string, string>();
            c.Metadata.Annotations["pv.kubernetes.io/bind-completed"] = "yes";
        });
        var bound = await WaitBoundAsync(client, "delayed", "local-pv");
        Assert.AreEqual("1Gi", bound.Status.Capacity["storage"].ToString());
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task PvcProtection_KeepsADeletedClaimWhileAScheduledPodUsesIt()
    {
        await using var cluster = await StartAsync();
        var client = cluster.Client;
        await client.CreateAsync(Pv("used", "1Gi"));
        await client.CreateAsync(Pvc("in-use", "1Gi"));
        await WaitBoundAsync(client, "in-use", "used");
        await client.CreateAsync(new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta { Name = "user", NamespaceProperty = Ns },
            Spec = new V1PodSpec
            {
                NodeName = "node-1",
                Containers = [new V1Container { Name = "main", Image = "busybox:1" }],
                Volumes = [new V1Volume { Name = "data", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = "in-use" } }],
            },
        });
        await ControllerCluster.WaitForAsync(async () =>
            (await client.GetAsync<V1PersistentVolumeClaim>("in-use", Ns)).Metadata.Finalizers?.Contains("kubernetes.io/pvc-protection") == true, "pvc-protection finalizer");

        await client.CreateAsync(Pvc("spare", "1Gi"));
        await ControllerCluster.WaitForAsync(async () =>
            (await client.GetAsync<V1PersistentVolumeClaim>("spare", Ns)).Metadata.Finalizers?.Contains("kubernetes.io/pvc-protection") == true, "spare's finalizer");

        // Both claims are deleted; the unused one goes, the used one stays Terminating (one worker takes them in order).
        await client.DeleteAsync<V1PersistentVolumeClaim>("in-use", Ns);
        await client.DeleteAsync<V1PersistentVolume>("used");
        await client.DeleteAsync<V1PersistentVolumeClaim>("spare", Ns);
        await ControllerCluster.WaitForAsync(async () => !(await client.ListAsync<V1PersistentVolumeClaim>(Ns)).Items.Any(c => c.Metadata.Name == "spare"),
            "the unused claim gone");
        Assert.IsNotNull((await client.GetAsync<V1PersistentVolumeClaim>("in-use", Ns)).Metadata.DeletionTimestamp);
        var pv = await client.GetAsync<V1PersistentVolume>("used");
        Assert.AreEqual("Bound", pv.Status?.Phase);
        Assert.IsNotNull(pv.Metadata.DeletionTimestamp, "a Bound volume being deleted waits on pv-protection");

        await client.DeleteAsync<V1Pod>("user", Ns, new DeleteOptions { GracePeriodSeconds = 0 });
        await ControllerCluster.WaitForAsync(async () => !(await client.ListAsync<V1PersistentVolumeClaim>(Ns)).Items.Any(c => c.Metadata.Name == "in-use"),
            "claim gone once no pod uses it");
        await ControllerCluster.WaitForAsync(async () => !(await client.ListAsync<V1PersistentVolume>()).Items.Any(v => v.Metadata.Name == "used"),
            "volume gone once Released");
    }
}
