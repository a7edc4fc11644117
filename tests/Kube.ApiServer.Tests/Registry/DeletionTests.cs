using k8s.Models;
using Kube.Core.Client;

namespace Kube.ApiServer.Tests.Registry;

[TestClass]
public sealed class DeletionTests
{
    private static TestCluster _cluster = null!;

    [ClassInitialize]
    public static async Task Init(TestContext _) => _cluster = await TestCluster.StartAsync();

    [ClassCleanup]
    public static async Task Cleanup() => await _cluster.DisposeAsync();

    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("n")[..8];

    [TestMethod]
    public async Task Delete_WithFinalizer_SetsDeletionTimestamp_ThenRemovedWhenFinalizersCleared()
    {
        var name = Unique("cm");
        await _cluster.PostAsync("/api/v1/namespaces/default/configmaps",
            $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{name}}}","finalizers":["example.com/hold"]}}""");
        var path = $"/api/v1/namespaces/default/configmaps/{name}";
        var del = await _cluster.SendAsync(HttpMethod.Delete, path);
        Assert.AreEqual(202, del.Code, del.Body?.ToJsonString());
        Assert.IsNotNull(del.Body!["metadata"]!["deletionTimestamp"]);
        var still = await _cluster.GetAsync(path);
        Assert.AreEqual(200, still.Code);
        var cleared = await _cluster.SendAsync(HttpMethod.Patch, path, """{"metadata":{"finalizers":null}}""", "application/merge-patch+json");
        Assert.AreEqual(200, cleared.Code, cleared.Body?.ToJsonString());
        Assert.AreEqual(404, (await _cluster.GetAsync(path)).Code);
    }

    [TestMethod]
    [DataRow("Orphan", "orphan")]
    [DataRow("Foreground", "foregroundDeletion")]
    public async Task Delete_PropagationPolicy_AddsFinalizer(string policy, string finalizer)
    {
        var name = Unique("dep");
        await _cluster.PostAsync("/apis/apps/v1/namespaces/default/deployments", Objects.Deployment(name));
        var del = await _cluster.SendAsync(HttpMethod.Delete, $"/apis/apps/v1/namespaces/default/deployments/{name}",
            $$$"""{"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"{{{policy}}}"}""");
        Assert.AreEqual(202, del.Code, del.Body?.ToJsonString());
        var finalizers = del.Body!["metadata"]!["finalizers"]!.AsArray().Select(f => f!.GetValue<string>()).ToList();
        CollectionAssert.Contains(finalizers, finalizer);
    }

    [TestMethod]
    public async Task Delete_Background_RemovesAtOnce_AndReturnsObject()
    {
        var name = Unique("dep");
        await _cluster.PostAsync("/apis/apps/v1/namespaces/default/deployments", Objects.Deployment(name));
        var del = await _cluster.SendAsync(HttpMethod.Delete, $"/apis/apps/v1/namespaces/default/deployments/{name}?propagationPolicy=Background");
        Assert.AreEqual(200, del.Code);
        Assert.AreEqual(name, del.Body!["metadata"]!["name"]!.GetValue<string>());
        Assert.AreEqual(404, (await _cluster.GetAsync($"/apis/apps/v1/namespaces/default/deployments/{name}")).Code);
        var again = await _cluster.SendAsync(HttpMethod.Delete, $"/apis/apps/v1/namespaces/default/deployments/{name}");
        Assert.AreEqual(404, again.Code);
    }

    [TestMethod]
    public async Task Delete_ScheduledPod_IsGraceful_UntilGracePeriodZero()
    {
        var name = Unique("pod");
        await _cluster.PostAsync("/api/v1/namespaces/default/pods", Objects.Pod(name, nodeName: "node-1"));
        var path = $"/api/v1/namespaces/default/pods/{name}";
        var first = await _cluster.SendAsync(HttpMethod.Delete, path);
        Assert.AreEqual(202, first.Code);
        Assert.AreEqual(30, first.Body!["metadata"]!["deletionGracePeriodSeconds"]!.GetValue<int>());
        Assert.IsNotNull(first.Body!["metadata"]!["deletionTimestamp"]);
        Assert.AreEqual(200, (await _cluster.GetAsync(path)).Code);

        var emptyFinalizers = await _cluster.SendAsync(HttpMethod.Patch, path, """{"metadata":{"labels":{"x":"y"}}}""", "application/merge-patch+json");
        Assert.AreEqual(200, emptyFinalizers.Code, "an update during the grace period keeps the pod");

        var force = await _cluster.SendAsync(HttpMethod.Delete, path + "?gracePeriodSeconds=0");
        Assert.AreEqual(200, force.Code, force.Body?.ToJsonString());
        Assert.AreEqual(404, (await _cluster.GetAsync(path)).Code);
    }

    [TestMethod]
    public async Task Delete_UnscheduledPod_IsImmediate()
    {
        var name = Unique("pod");
        await _cluster.PostAsync("/api/v1/namespaces/default/pods", Objects.Pod(name));
        var del = await _cluster.SendAsync(HttpMethod.Delete, $"/api/v1/namespaces/default/pods/{name}");
        Assert.AreEqual(200, del.Code);
        Assert.AreEqual(404, (await _cluster.GetAsync($"/api/v1/namespaces/default/pods/{name}")).Code);
    }

    [TestMethod]
    public async Task Delete_WithStalePrecondition_Returns409()
    {
        var name = Unique("cm");
        await _cluster.PostAsync("/api/v1/namespaces/default/configmaps", $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{name}}}"}}""");
        var del = await _cluster.SendAsync(HttpMethod.Delete, $"/api/v1/namespaces/default/configmaps/{name}",
            """{"preconditions":{"uid":"not-the-uid"}}""");
        Assert.AreEqual(409, del.Code);
        Assert.AreEqual("Conflict", del.Body!["reason"]!.GetValue<string>());
    }

    [TestMethod]
    public async Task DeleteCollection_DeletesMatchingObjects()
    {
        var ns = Unique("ns");
        await _cluster.PostAsync("/api/v1/namespaces", $$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{ns}}}"}}""");
        foreach (var (n, app) in new[] { ("a", "x"), ("b", "x"), ("c", "y") })
            await _cluster.PostAsync($"/api/v1/namespaces/{ns}/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"N","labels":{"app":"A"}}}""".Replace("N", n).Replace("A", app));
        var del = await _cluster.SendAsync(HttpMethod.Delete, $"/api/v1/namespaces/{ns}/configmaps?labelSelector=app%3Dx");
        Assert.AreEqual(200, del.Code, del.Body?.ToJsonString());
        var left = await _cluster.GetAsync($"/api/v1/namespaces/{ns}/configmaps");
        Assert.AreEqual("c", left.Body!["items"]!.AsArray().Single()!["metadata"]!["name"]!.GetValue<string>());
    }

    [TestMethod]
    public async Task InProcess_DeleteReturnsObjectWhileItRemains_AndNullWhenGone()
    {
        var name = Unique("pod");
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
            Spec = new V1PodSpec { NodeName = "node-1", Containers = [new V1Container { Name = "c", Image = "busybox" }] },
        };
        await _cluster.Client.CreateAsync(pod);
        var graceful = await _cluster.Client.DeleteAsync<V1Pod>(name, "default");
        Assert.IsNotNull(graceful);
        Assert.IsNotNull(graceful.Metadata.DeletionTimestamp);
        var gone = await _cluster.Client.DeleteAsync<V1Pod>(name, "default", new DeleteOptions { GracePeriodSeconds = 0 });
        Assert.IsNull(gone);
        await Assert.ThrowsExactlyAsync<NotFoundException>(() => _cluster.Client.GetAsync<V1Pod>(name, "default"));
    }

    [TestMethod]
    [DataRow("default")]
    [DataRow("kube-system")]
    public async Task Delete_SystemNamespace_IsForbidden(string ns)
    {
        var r = await _cluster.SendAsync(HttpMethod.Delete, $"/api/v1/namespaces/{ns}");
        Assert.AreEqual(403, r.Code);
        Assert.AreEqual($"namespaces \"{ns}\" is forbidden: this namespace may not be deleted", r.Body!["message"]!.GetValue<string>());
    }
}
