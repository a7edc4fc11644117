using k8s.Models;
using Kube.Core.Client;

namespace Kube.Controllers.Tests.Integration;

[TestClass]
public sealed class ServiceAccountIntegrationTests
{
    private const string Bundle = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";

    private static async Task<bool> ExistsAsync<T>(IKubeClient client, string name, string ns)
        where T : class, k8s.IKubernetesObject<V1ObjectMeta>
    {
        try
        {
            await client.GetAsync<T>(name, ns);
            return true;
        }
        catch (NotFoundException)
        {
            return false;
        }
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task EveryNamespace_GetsTheDefaultServiceAccount_AgainWhenDeleted()
    {
        await using var cluster = await ControllerCluster.StartAsync();
        var client = cluster.Client;
        await ControllerCluster.WaitForAsync(() => ExistsAsync<V1ServiceAccount>(client, "default", "default"), "default/default");
        await client.CreateAsync(new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new V1ObjectMeta { Name = "team-a" } });
        await ControllerCluster.WaitForAsync(() => ExistsAsync<V1ServiceAccount>(client, "default", "team-a"), "team-a/default");

        await client.DeleteAsync<V1ServiceAccount>("default", "team-a");
        await ControllerCluster.WaitForAsync(() => ExistsAsync<V1ServiceAccount>(client, "default", "team-a"), "team-a/default recreated");
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task EveryNamespace_GetsKubeRootCaCrt_WithTheConfiguredBundle_RestoredWhenChangedOrDeleted()
    {
        await using var cluster = await ControllerCluster.StartAsync(options: o => o.RootCaBundle = Bundle);
        var client = cluster.Client;
        await client.CreateAsync(new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new V1ObjectMeta { Name = "team-b" } });
        await ControllerCluster.WaitForAsync(() => ExistsAsync<V1ConfigMap>(client, "kube-root-ca.crt", "team-b"), "team-b/kube-root-ca.crt");
        var cm = await client.GetAsync<V1ConfigMap>("kube-root-ca.crt", "team-b");
        Assert.AreEqual(Bundle, cm.Data["ca.crt"]);
        StringAssert.StartsWith(cm.Metadata.Annotations["kubernetes.io/description"], "Contains a CA bundle");
        Assert.IsTrue(await ExistsAsync<V1ConfigMap>(client, "kube-root-ca.crt", "default"));

        cm.Data["ca.crt"] = "tampered";
        await client.UpdateAsync(cm);
        await ControllerCluster.WaitForAsync(async () => (await client.GetAsync<V1ConfigMap>("kube-root-ca.crt", "team-b")).Data["ca.crt"] == Bundle, "the bundle restored");

        await client.DeleteAsync<V1ConfigMap>("kube-root-ca.crt", "team-b");
        await ControllerCluster.WaitForAsync(() => ExistsAsync<V1ConfigMap>(client, "kube-root-ca.crt", "team-b"), "the ConfigMap recreated");
    }
}
