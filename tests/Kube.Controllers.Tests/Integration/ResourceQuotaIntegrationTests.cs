using k8s.Models;

namespace Kube.Controllers.Tests.Integration;

[TestClass]
public sealed class ResourceQuotaIntegrationTests
{
    private static V1Pod Pod(string name, string cpu, string memory) => new()
    {
        ApiVersion = "v1",
        Kind = "Pod",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "quota" },
        Spec = new V1PodSpec
        {
            Containers =
            [
                new V1Container
                {
                    Name = "main", Image = "busybox:1",
                    Resources = new V1ResourceRequirements
                    {
                        Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(cpu), ["memory"] = new(memory) },
                        Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(cpu), ["memory"] = new(memory) },
                    },
                },
            ],
        },
    };

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task ResourceQuota_StatusReportsHardAndUsed_FollowingPods()
    {
        await using var cluster = await ControllerCluster.StartAsync();
        var client = cluster.Client;
        await client.CreateAsync(new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new V1ObjectMeta { Name = "quota" } });
        await client.CreateAsync(new V1ConfigMap { ApiVersion = "v1", Kind = "ConfigMap", Metadata = new V1ObjectMeta { Name = "cfg", NamespaceProperty = "quota" } });
        await client.CreateAsync(Pod("a", "250m", "64Mi"));
        await client.CreateAsync(new V1ResourceQuota
        {
            ApiVersion = "v1",
            Kind = "ResourceQuota",
            Metadata = new V1ObjectMeta { Name = "compute", NamespaceProperty = "quota" },
            Spec = new V1ResourceQuotaSpec
            {
                Hard = new Dictionary<string, ResourceQuantity>
                {
                    ["pods"] = new("5"), ["requests.cpu"] = new("2"), ["requests.memory"] = new("1Gi"), ["limits.cpu"] = new("4"),
                    ["configmaps"] = new("10"), ["count/deployments.apps"] = new("3"), ["services"] = new("2"),
                },
            },
        });

        static string Used(V1ResourceQuota q, string key) => q.Status?.Used?.TryGetValue(key, out var v) == true ? v.ToString() : "";
        await ControllerCluster.WaitForAsync(async () =>
        {
            var q = await client.GetAsync<V1ResourceQuota>("compute", "quota");
            return q.Status?.Hard?.Count == 7 && Used(q, "pods") == "1" && Used(q, "requests.cpu") == "250m" && Used(q, "requests.memory") == "64Mi"
                && Used(q, "configmaps") == "1" && Used(q, "count/deployments.apps") == "0" && Used(q, "services") == "0";
        }, "status.used for one pod and one ConfigMap");

        await client.CreateAsync(Pod("b", "500m", "128Mi"));
        await ControllerCluster.WaitForAsync(async () =>
        {
            var q = await client.GetAsync<V1ResourceQuota>("compute", "quota");
            return Used(q, "pods") == "2" && Used(q, "requests.cpu") == "750m" && Used(q, "requests.memory") == "192Mi" && Used(q, "limits.cpu") == "750m";
        }, "status.used after a second pod");
    }
}
