using k8s.Models;
using Kube.ApiServer.Admission;
using Kube.ApiServer.InProcess;
using Kube.Core.Admission;
using Kube.Core.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Kube.ApiServer.Tests.Security;

/// <summary>NamespaceLifecycle, ServiceAccount and DefaultTolerationSeconds admission.</summary>
[TestClass]
public sealed class AdmissionPluginTests
{
    private static TestCluster _cluster = null!;

    [ClassInitialize]
    public static async Task InitAsync(TestContext _)
    {
        var client = new TaskCompletionSource<IKubeClient>();
        var deferred = new DeferredKubeClient(_ => client.Task);
        var services = new ServiceCollection()
            .AddSingleton<IAdmissionPlugin>(new LimitRangerAdmission(deferred))
            .AddSingleton<IAdmissionPlugin>(new ServiceAccountAdmission(deferred))
            .AddSingleton<IAdmissionPlugin>(new DefaultStorageClassAdmission(deferred))
            .AddSingleton<IAdmissionPlugin>(new DefaultTolerationSecondsAdmission())
            .AddSingleton<IAdmissionPlugin>(new NamespaceLifecycleAdmission(deferred))
            .BuildServiceProvider();
        _cluster = await TestCluster.StartAsync(services: services);
        client.SetResult(_cluster.Server.CreateClient(UserInfo.Admin));
    }

    [ClassCleanup]
    public static async Task CleanupAsync() => await _cluster.DisposeAsync();

    private static V1Pod Pod(string ns, string name) => new()
    {
        Metadata = new() { Name = name, NamespaceProperty = ns },
        Spec = new() { Containers = [new V1Container { Name = "c", Image = "busybox" }] },
    };

    [TestMethod]
    public async Task CreateInMissingNamespace_Is404()
    {
        var (code, body, _) = await _cluster.PostAsync("/api/v1/namespaces/nowhere/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}""");
        Assert.AreEqual(404, code);
        Assert.AreEqual("namespaces \"nowhere\" not found", body!["message"]!.GetValue<string>());
    }

    [TestMethod]
    public async Task Pods_GetTheDefaultServiceAccountItsTokenVolumeAndTolerations()
    {
        await _cluster.Client.CreateAsync(new V1Namespace { Metadata = new() { Name = "sa-test" } });
        var (code, body, _) = await _cluster.PostAsync("/api/v1/namespaces/sa-test/pods", k8s.KubernetesJson.Serialize(Pod("sa-test", "early")));
        Assert.AreEqual(403, code);
        Assert.AreEqual("pods \"early\" is forbidden: error looking up service account sa-test/default: serviceaccount \"default\" not found", body!["message"]!.GetValue<string>());

        await _cluster.Client.CreateAsync(new V1ServiceAccount { Metadata = new() { Name = "default", NamespaceProperty = "sa-test" } });
        var pod = await _cluster.Client.CreateAsync(Pod("sa-test", "p"));
        Assert.AreEqual("default", pod.Spec.ServiceAccountName);
        var volume = pod.Spec.Volumes.Single();
        StringAssert.StartsWith(volume.Name, "kube-api-access-");
        Assert.AreEqual(3607, volume.Projected.Sources[0].ServiceAccountToken.ExpirationSeconds);
        var mount = pod.Spec.Containers[0].VolumeMounts.Single();
        Assert.AreEqual(ServiceAccountAdmission.MountPath, mount.MountPath);
        Assert.IsTrue(mount.ReadOnlyProperty);
        CollectionAssert.AreEquivalent(new[] { "node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable" }, pod.Spec.Tolerations.Select(t => t.Key).ToArray());
        Assert.IsTrue(pod.Spec.Tolerations.All(t => t.TolerationSeconds == 300 && t.Effect == "NoExecute"));

        var noMount = Pod("sa-test", "quiet");
        noMount.Spec.AutomountServiceAccountToken = false;
        Assert.IsNull((await _cluster.Client.CreateAsync(noMount)).Spec.Volumes);
    }

    [TestMethod]
    public async Task LimitRange_DefaultsAndBoundsContainerResources()
    {
        var c = _cluster.Client;
        await c.CreateAsync(new V1Namespace { Metadata = new() { Name = "lr" } });
        await c.CreateAsync(new V1ServiceAccount { Metadata = new() { Name = "default", NamespaceProperty = "lr" } });
        await c.CreateAsync(new V1LimitRange
        {
            Metadata = new() { Name = "limits", NamespaceProperty = "lr" },
            Spec = new V1LimitRangeSpec
            {
                Limits =
                [
                    new V1LimitRangeItem
                    {
                        Type = "Container",
                        DefaultProperty = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("500m") },
                        DefaultRequest = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("200m") },
                        Max = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("1") },
                    },
                ],
            },
        });
        var pod = await c.CreateAsync(Pod("lr", "defaulted"));
        Assert.AreEqual("500m", pod.Spec.Containers[0].Resources.Limits["cpu"].ToString());
        Assert.AreEqual("200m", pod.Spec.Containers[0].Resources.Requests["cpu"].ToString());

        var big = Pod("lr", "big");
        big.Spec.Containers[0].Resources = new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("2") } };
        var (code, body, _) = await _cluster.PostAsync("/api/v1/namespaces/lr/pods", k8s.KubernetesJson.Serialize(big));
        Assert.AreEqual(403, code);
        Assert.AreEqual("pods \"big\" is forbidden: [maximum cpu usage per Container is 1, but limit is 2]", body!["message"]!.GetValue<string>());
    }

    [TestMethod]
    public async Task Claims_GetTheDefaultStorageClass()
    {
        var c = _cluster.Client;
        await c.CreateAsync(new V1StorageClass
        {
            Metadata = new() { Name = "fast", Annotations = new Dictionary<string, string> { [DefaultStorageClassAdmission.DefaultAnnotation] = "true" } },
            Provisioner = "example.com/local",
        });
        var claim = await c.CreateAsync(new V1PersistentVolumeClaim
        {
            Metadata = new() { Name = "data", NamespaceProperty = "default" },
            Spec = new V1PersistentVolumeClaimSpec
            {
                AccessModes = ["ReadWriteOnce"],
                Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new("1Gi") } },
            },
        });
        Assert.AreEqual("fast", claim.Spec.StorageClassName);
    }
}
