namespace Kube.ApiServer.Tests.Registry;

[TestClass]
public sealed class NamespaceDeletionTests
{
    [TestMethod]
    public async Task DeleteNamespace_GoesTerminating_DeletesContents_ThenIsGone()
    {
        await using var cluster = await TestCluster.StartAsync(o => o.NamespaceFinalizeRetryInterval = TimeSpan.FromMilliseconds(50));
        await cluster.PostAsync("/api/v1/namespaces", """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"doomed"}}""");
        await cluster.PostAsync("/api/v1/namespaces/doomed/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}""");
        await cluster.PostAsync("/api/v1/namespaces/doomed/pods", Objects.Pod("p", "doomed"));
        await cluster.PostAsync("/apis/apps/v1/namespaces/doomed/deployments", Objects.Deployment("d"));
        var held = await cluster.PostAsync("/api/v1/namespaces/doomed/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"held","finalizers":["example.com/hold"]}}""");
        Assert.AreEqual(201, held.Code);

        var del = await cluster.SendAsync(HttpMethod.Delete, "/api/v1/namespaces/doomed");
        Assert.AreEqual(202, del.Code, del.Body?.ToJsonString());
        Assert.AreEqual("Terminating", del.Body!["status"]!["phase"]!.GetValue<string>());

        var create = await cluster.PostAsync("/api/v1/namespaces/doomed/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"late"}}""");
        Assert.AreEqual(403, create.Code);
        Assert.AreEqual("unable to create new content in namespace doomed because it is being terminated", create.Body!["message"]!.GetValue<string>());

        await TestCluster.WaitForAsync(async () => (await cluster.GetAsync("/api/v1/namespaces/doomed/configmaps/c")).Code == 404, what: "contents deleted");
        await TestCluster.WaitForAsync(async () => (await cluster.GetAsync("/apis/apps/v1/namespaces/doomed/deployments/d")).Code == 404, what: "deployment deleted");
        Assert.AreEqual(200, (await cluster.GetAsync("/api/v1/namespaces/doomed")).Code, "a finalizer on an object in it holds the namespace");

        await cluster.SendAsync(HttpMethod.Patch, "/api/v1/namespaces/doomed/configmaps/held", """{"metadata":{"finalizers":null}}""", "application/merge-patch+json");
        await TestCluster.WaitForAsync(async () => (await cluster.GetAsync("/api/v1/namespaces/doomed")).Code == 404, what: "namespace removed");
    }
}
