using k8s.Models;

namespace Kube.Controllers.Tests.Integration;

/// <summary>The resourcequota controller's status.used under scopes and a PriorityClass scopeSelector.</summary>
[TestClass]
public sealed class ResourceQuotaScopesIntegrationTests
{
    private static V1Pod Pod(string name, string? cpu = null, long? deadline = null, string? priorityClass = null) => new()
    {
        ApiVersion = "v1",
        Kind = "Pod",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "scoped" },
        Spec = new V1PodSpec
        {
            ActiveDeadlineSeconds = deadline,
            PriorityClassName = priorityClass,
            Containers =
            [
                new V1Container
                {
                    Name = "main", Image = "busybox:1",
                    Resources = cpu is null ? null : new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(cpu) } },
                },
            ],
        },
    };

    private static V1ResourceQuota Quota(string name, IList<string>? scopes = null, V1ScopeSelector? selector = null) => new()
    {
        ApiVersion = "v1",
        Kind = "ResourceQuota",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "scoped" },
        Spec = new V1ResourceQuotaSpec { Hard = new Dictionary<string, ResourceQuantity> { ["pods"] = new("10") }, Scopes = scopes, ScopeSelector = selector },
    };

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task ScopedQuotas_CountOnlyTheirPods()
    {
        await using var cluster = await ControllerCluster.StartAsync();
        var client = cluster.Client;
        await client.CreateAsync(new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new V1ObjectMeta { Name = "scoped" } });
        await client.CreateAsync(Pod("best-effort"));
        await client.CreateAsync(Pod("burstable", cpu: "100m"));
        await client.CreateAsync(Pod("job", cpu: "100m", deadline: 30));
        await client.CreateAsync(Pod("critical", priorityClass: "high"));
        await client.CreateAsync(Quota("all"));
        await client.CreateAsync(Quota("best-effort", ["BestEffort"]));
        await client.CreateAsync(Quota("not-best-effort", ["NotBestEffort"]));
        await client.CreateAsync(Quota("terminating", ["Terminating"]));
        await client.CreateAsync(Quota("not-terminating-best-effort", ["NotTerminating", "BestEffort"]));
        await client.CreateAsync(Quota("high", selector: new V1ScopeSelector
        {
            MatchExpressions = [new V1ScopedResourceSelectorRequirement { ScopeName = "PriorityClass", OperatorProperty = "In", Values = ["high"] }],
        }));
        await client.CreateAsync(Quota("not-high", selector: new V1ScopeSelector
        {
            MatchExpressions = [new V1ScopedResourceSelectorRequirement { ScopeName = "PriorityClass", OperatorProperty = "NotIn", Values = ["high"] }],
        }));

        var want = new Dictionary<string, string>
        {
            ["all"] = "4", ["best-effort"] = "2", ["not-best-effort"] = "2", ["terminating"] = "1", ["not-terminating-best-effort"] = "2", ["high"] = "1", ["not-high"] = "3",
        };
        var seen = "";
        await ControllerCluster.WaitForAsync(async () =>
        {
            var quotas = (await client.ListAsync<V1ResourceQuota>("scoped")).Items;
            var got = quotas.ToDictionary(q => q.Metadata.Name, q => q.Status?.Used?.TryGetValue("pods", out var v) == true ? v.ToString() : "");
            seen = string.Join(", ", got.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}={kv.Value}"));
            return want.All(kv => got.TryGetValue(kv.Key, out var v) && v == kv.Value);
        }, "scoped status.used");
        Assert.IsTrue(seen.Length > 0, seen);
    }
}
