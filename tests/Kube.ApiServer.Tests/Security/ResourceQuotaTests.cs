using k8s.Models;
using Kube.ApiServer.Admission;
using Kube.ApiServer.InProcess;
using Kube.Core.Admission;
using Kube.Core.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Kube.ApiServer.Tests.Security;

/// <summary>ResourceQuota admission: counts and compute resources with upstream's messages.</summary>
[TestClass]
public sealed class ResourceQuotaTests
{
    private static TestCluster _cluster = null!;

    [ClassInitialize]
    public static async Task InitAsync(TestContext _)
    {
        var client = new TaskCompletionSource<IKubeClient>();
        var services = new ServiceCollection()
            .AddSingleton<IAdmissionPlugin>(new ResourceQuotaAdmission(new DeferredKubeClient(_ => client.Task)))
            .BuildServiceProvider();
        _cluster = await TestCluster.StartAsync(services: services);
        client.SetResult(_cluster.Server.CreateClient(UserInfo.Admin));
    }

    [ClassCleanup]
    public static async Task CleanupAsync() => await _cluster.DisposeAsync();

    private static V1Pod Pod(string ns, string name, string? cpu = null) => new()
    {
        Metadata = new() { Name = name, NamespaceProperty = ns },
        Spec = new()
        {
            Containers =
            [
                new V1Container
                {
                    Name = "c", Image = "busybox",
                    Resources = cpu is null ? null : new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(cpu) } },
                },
            ],
        },
    };

    [TestMethod]
    public async Task PodCountQuota_RefusesTheThirdPodWithUpstreamMessage()
    {
        var c = _cluster.Client;
        await c.CreateAsync(new V1Namespace { Metadata = new() { Name = "q1" } });
        await c.CreateAsync(new V1ResourceQuota
        {
            Metadata = new() { Name = "q", NamespaceProperty = "q1" },
            Spec = new V1ResourceQuotaSpec { Hard = new Dictionary<string, ResourceQuantity> { ["pods"] = new("2") } },
        });
        await c.CreateAsync(Pod("q1", "a"));
        await c.CreateAsync(Pod("q1", "b"));
        var (code, body, _) = await _cluster.PostAsync("/api/v1/namespaces/q1/pods", k8s.KubernetesJson.Serialize(Pod("q1", "c")));
        Assert.AreEqual(403, code);
        Assert.AreEqual("pods \"c\" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2", body!["message"]!.GetValue<string>());
        await c.DeleteAsync<V1Pod>("a", "q1", new DeleteOptions { GracePeriodSeconds = 0 });
        await TestCluster.WaitForAsync(async () => (await _cluster.PostAsync("/api/v1/namespaces/q1/pods", k8s.KubernetesJson.Serialize(Pod("q1", "c")))).Code == 201,
            what: "room under the quota after a delete");
    }

    [TestMethod]
    public async Task CpuQuota_RequiresRequests_AndLimitsTheirSum()
    {
        var c = _cluster.Client;
        await c.CreateAsync(new V1Namespace { Metadata = new() { Name = "q2" } });
        await c.CreateAsync(new V1ResourceQuota
        {
            Metadata = new() { Name = "compute", NamespaceProperty = "q2" },
            Spec = new V1ResourceQuotaSpec { Hard = new Dictionary<string, ResourceQuantity> { ["requests.cpu"] = new("1") } },
        });
        var (code, body, _) = await _cluster.PostAsync("/api/v1/namespaces/q2/pods", k8s.KubernetesJson.Serialize(Pod("q2", "bare")));
        Assert.AreEqual(403, code);
        Assert.AreEqual("pods \"bare\" is forbidden: failed quota: compute: must specify requests.cpu for: c", body!["message"]!.GetValue<string>());
        await c.CreateAsync(Pod("q2", "half", "500m"));
        (code, body, _) = await _cluster.PostAsync("/api/v1/namespaces/q2/pods", k8s.KubernetesJson.Serialize(Pod("q2", "big", "600m")));
        Assert.AreEqual(403, code);
        Assert.AreEqual("pods \"big\" is forbidden: exceeded quota: compute, requested: requests.cpu=600m, used: requests.cpu=500m, limited: requests.cpu=1",
            body!["message"]!.GetValue<string>());
    }

    [TestMethod]
    public async Task ConcurrentCreates_NeverExceedTheQuota()
    {
        var c = _cluster.Client;
        await c.CreateAsync(new V1Namespace { Metadata = new() { Name = "q3" } });
        await c.CreateAsync(new V1ResourceQuota
        {
            Metadata = new() { Name = "counts", NamespaceProperty = "q3" },
            Spec = new V1ResourceQuotaSpec { Hard = new Dictionary<string, ResourceQuantity> { ["configmaps"] = new("5") } },
        });
        var creates = Enumerable.Range(0, 24).Select(i => _cluster.PostAsync("/api/v1/namespaces/q3/configmaps",
            k8s.KubernetesJson.Serialize(new V1ConfigMap { Metadata = new() { Name = $"cm-{i}", NamespaceProperty = "q3" } })));
        var codes = (await Task.WhenAll(creates)).Select(r => r.Code).ToList();
        Assert.AreEqual(5, codes.Count(x => x == 201), string.Join(",", codes));
        Assert.AreEqual(19, codes.Count(x => x == 403), string.Join(",", codes));
        Assert.AreEqual(5, (await c.ListAsync<V1ConfigMap>("q3")).Items.Count);
    }

    private static V1ResourceQuota Scoped(string ns, string name, string hardPods, IList<string>? scopes = null, V1ScopeSelector? selector = null) => new()
    {
        Metadata = new() { Name = name, NamespaceProperty = ns },
        Spec = new V1ResourceQuotaSpec { Hard = new Dictionary<string, ResourceQuantity> { ["pods"] = new(hardPods) }, Scopes = scopes, ScopeSelector = selector },
    };

    private static async Task<string?> RefusalAsync(V1Pod pod)
    {
        try
        {
            await _cluster.Client.CreateAsync(pod);
            return null;
        }
        catch (KubeApiException e) when (e.Status?.Code == 403)
        {
            return e.Status.Message;
        }
    }

    [TestMethod]
    public async Task Scopes_BestEffortAndTerminating_CountOnlyTheirPods()
    {
        var c = _cluster.Client;
        await c.CreateAsync(new V1Namespace { Metadata = new() { Name = "qscope" } });
        await c.CreateAsync(Scoped("qscope", "best-effort", "1", scopes: ["BestEffort"]));
        await c.CreateAsync(Scoped("qscope", "terminating", "1", scopes: ["Terminating", "NotBestEffort"]));

        Assert.IsNull(await RefusalAsync(Pod("qscope", "be-1")), "the first best-effort pod");
        Assert.AreEqual("pods \"be-2\" is forbidden: exceeded quota: best-effort, requested: pods=1, used: pods=1, limited: pods=1",
            await RefusalAsync(Pod("qscope", "be-2")));
        Assert.IsNull(await RefusalAsync(Pod("qscope", "burstable-1", cpu: "100m")), "not best-effort, not terminating: no quota applies");
        Assert.IsNull(await RefusalAsync(Pod("qscope", "burstable-2", cpu: "100m")));

        var job = Pod("qscope", "job-1", cpu: "100m");
        job.Spec.ActiveDeadlineSeconds = 60;
        Assert.IsNull(await RefusalAsync(job), "terminating and not best-effort: the terminating quota's first pod");
        job = Pod("qscope", "job-2", cpu: "100m");
        job.Spec.ActiveDeadlineSeconds = 60;
        Assert.AreEqual("pods \"job-2\" is forbidden: exceeded quota: terminating, requested: pods=1, used: pods=1, limited: pods=1", await RefusalAsync(job));
    }

    [TestMethod]
    [DataRow("In", "high", "high", true)]
    [DataRow("In", "high", "low", false)]
    [DataRow("NotIn", "high", "low", true)]
    [DataRow("NotIn", "high", "high", false)]
    [DataRow("Exists", null, "low", true)]
    [DataRow("Exists", null, null, false)]
    [DataRow("DoesNotExist", null, null, false)]
    public async Task ScopeSelector_PriorityClass_MatchesAsUpstream(string op, string? value, string? podClass, bool limited)
    {
        var c = _cluster.Client;
        var ns = $"qprio-{op.ToLowerInvariant()}-{value ?? "x"}-{podClass ?? "none"}";
        await c.CreateAsync(new V1Namespace { Metadata = new() { Name = ns } });
        var selector = new V1ScopeSelector
        {
            MatchExpressions = [new V1ScopedResourceSelectorRequirement { ScopeName = "PriorityClass", OperatorProperty = op, Values = value is null ? null : [value] }],
        };
        await c.CreateAsync(Scoped(ns, "prio", "0", selector: selector));
        var pod = Pod(ns, "p");
        pod.Spec.PriorityClassName = podClass;
        var refusal = await RefusalAsync(pod);
        Assert.AreEqual(limited, refusal is not null, refusal);
        if (limited) Assert.AreEqual("pods \"p\" is forbidden: exceeded quota: prio, requested: pods=1, used: pods=0, limited: pods=0", refusal);
    }
}
