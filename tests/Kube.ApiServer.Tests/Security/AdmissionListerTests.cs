using k8s.Models;
using Kube.ApiServer.Admission;
using Kube.Core.Client;

namespace Kube.ApiServer.Tests.Security;

/// <summary>
/// Admission plugins read the API server's watch caches (upstream's listers), yet every write this API server
/// acknowledged is seen by the next admission: a service account, a LimitRange created or changed, a PriorityClass
/// made the default, or a namespace being deleted, each written just before the pod that depends on it.
/// </summary>
[TestClass]
public sealed class AdmissionListerTests
{
    private static TestCluster _cluster = null!;

    [ClassInitialize]
    public static async Task InitAsync(TestContext _) =>
        _cluster = await AdmissionTestCluster.StartAsync(
            c => new LimitRangerAdmission(c), c => new ServiceAccountAdmission(c), c => new PriorityAdmission(c, mutating: true), c => new NamespaceLifecycleAdmission(c));

    [ClassCleanup]
    public static async Task CleanupAsync() => await _cluster.DisposeAsync();

    private static V1Pod Pod(string ns, string name) => new()
    {
        Metadata = new() { Name = name, NamespaceProperty = ns },
        Spec = new() { Containers = [new V1Container { Name = "c", Image = "busybox" }] },
    };

    private static V1LimitRange Limits(string ns, string cpu) => new()
    {
        Metadata = new() { Name = "defaults", NamespaceProperty = ns },
        Spec = new()
        {
            Limits = [new V1LimitRangeItem { Type = "Container", DefaultRequest = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(cpu) } }],
        },
    };

    [TestMethod]
    public async Task ObjectsWrittenJustBefore_AreSeenByThePodsAdmission()
    {
        var c = _cluster.Client;
        // Several rounds: a cache that lagged behind the writes would admit some pod with stale facts.
        for (var i = 0; i < 10; i++)
        {
            var ns = $"lister-{i}";
            await c.CreateAsync(new V1Namespace { Metadata = new() { Name = ns } });
            await c.CreateAsync(new V1ServiceAccount { Metadata = new() { Name = "default", NamespaceProperty = ns }, AutomountServiceAccountToken = false });
            await c.CreateAsync(Limits(ns, "123m"));
            var first = await c.CreateAsync(Pod(ns, "first"));
            Assert.AreEqual("123m", first.Spec.Containers[0].Resources.Requests["cpu"].ToString(), $"round {i}: the new LimitRange");
            Assert.IsTrue(first.Spec.Volumes is null || first.Spec.Volumes.Count == 0, $"round {i}: the account's automountServiceAccountToken false");

            var limits = await c.GetAsync<V1LimitRange>("defaults", ns);
            limits.Spec.Limits[0].DefaultRequest["cpu"] = new ResourceQuantity("77m");
            await c.UpdateAsync(limits);
            var second = await c.CreateAsync(Pod(ns, "second"));
            Assert.AreEqual("77m", second.Spec.Containers[0].Resources.Requests["cpu"].ToString(), $"round {i}: the changed LimitRange");

            await c.DeleteAsync<V1Namespace>(ns);
            var refused = await Assert.ThrowsAsync<KubeApiException>(() => c.CreateAsync(Pod(ns, "third")));
            Assert.IsTrue((int)refused.StatusCode is 403 or 404, $"round {i}: a pod in a namespace being deleted: {refused.StatusCode} {refused.Message}");
        }
    }

    [TestMethod]
    public async Task ANewDefaultPriorityClass_AppliesToThePodCreatedNext()
    {
        var c = _cluster.Client;
        await c.CreateAsync(new V1Namespace { Metadata = new() { Name = "lister-prio" } });
        await c.CreateAsync(new V1ServiceAccount { Metadata = new() { Name = "default", NamespaceProperty = "lister-prio" } });
        for (var i = 0; i < 5; i++)
        {
            var name = $"lister-default-{i}";
            await c.CreateAsync(new V1PriorityClass { Metadata = new() { Name = name }, Value = 1000 + i, GlobalDefault = true });
            try
            {
                var pod = await c.CreateAsync(Pod("lister-prio", $"p{i}"));
                Assert.AreEqual(name, pod.Spec.PriorityClassName, $"round {i}");
                Assert.AreEqual(1000 + i, pod.Spec.Priority, $"round {i}");
            }
            finally
            {
                await c.DeleteAsync<V1PriorityClass>(name);
            }
            // and once it is deleted, the next pod no longer gets it
            var after = await c.CreateAsync(Pod("lister-prio", $"q{i}"));
            Assert.AreEqual(0, after.Spec.Priority ?? 0, $"round {i}: after the default was deleted");
        }
    }
}
